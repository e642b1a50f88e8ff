import type { Executor } from '@graphql-tools/utils';
import { GraphQLError, print, responsePathAsArray, type DocumentNode, type ExecutionResult } from 'graphql';
import { requestStateOf } from '../request/state.js';
import { operationOf, rootFieldArguments, rootFieldNames, rootTypeOf, splitByRootField, type GraphqlSource, type RootFieldDocument } from '../sources/graphql/index.js';
import type { OperationSpec, RootTypeName } from '../sources/types.js';
import type { SourceRuntime } from './source-runtime.js';

/**
 * Response paths for `extensions.stale` of batched delegations, by the resolver info the batch was made with: a
 * batch serves every parent of a level, so its path names the link field without list indices (as for REST).
 */
const batchPathByInfo = new WeakMap<object, readonly (string | number)[]>();

export function markBatchPath(info: object, path: readonly (string | number)[]): void {
  batchPathByInfo.set(info, path);
}

const ROOT_TYPE_BY_OPERATION: Readonly<Record<string, RootTypeName>> = { query: 'Query', mutation: 'Mutation', subscription: 'Subscription' };

/**
 * The executor of a remote GraphQL source's subschema: every delegated document becomes source calls through the
 * pipeline, one per remote root field, each under that field's own OperationSpec. So `operations.<field>` (cache
 * policy, timeout) applies per root field, the cache holds an entry per root field, and metrics are labelled by
 * field.
 *
 * Stitching delegates each gateway root field, link and merged-type fetch on its own, so a document nearly always
 * has one root field and is sent as it is. A document with several (a library user's `batch: true`, a
 * hand-written delegation) is split per root field rather than sent whole: one cacheable entry per field is worth
 * more than saving round trips, which go out in parallel over kept-alive connections (bench/remote-root-fields.ts
 * measures the cost). Mutations' parts go one after another, in document order, as GraphQL runs them.
 */
export function createRemoteExecutor(source: SourceRuntime, converted: GraphqlSource): Executor {
  const operationFor = (rootType: RootTypeName, field: string): OperationSpec =>
    converted.operationByRemoteField.get(`${rootType}.${field}`) ?? { rootType, fieldName: field, operationId: `${rootType}.${field}`, readOnly: rootType !== 'Mutation' };

  return function executeRemote(request) {
    const state = requestStateOf(request.context);
    const path = request.info ? (batchPathByInfo.get(request.info) ?? responsePathAsArray(request.info.path)) : [];
    const rootType = ROOT_TYPE_BY_OPERATION[request.operationType ?? 'query'] ?? 'Query';
    const operation = operationOf(request.document, request.operationName);
    const fields = operation ? rootFieldNames(operation) : undefined;
    // The audit log records the root field's own arguments, not the document and stitching's variable names.
    const fieldArgs = (document: DocumentNode, variables: Readonly<Record<string, unknown>> | undefined) => () =>
      rootFieldArguments(rootTypeOf(converted.schema, rootType), document, request.operationName, variables);
    if (!operation || !fields || fields.length <= 1 || rootType === 'Subscription') {
      const spec = operationFor(rootType, fields?.[0] ?? '__typename');
      const args = { query: print(request.document), variables: request.variables, operationName: request.operationName };
      if (rootType === 'Subscription') return source.subscribe(spec, args, state, path) as never;
      return source.call(spec, args, state, path, undefined, fieldArgs(request.document, request.variables)) as never;
    }
    const parts = splitByRootField(request.document, operation, request.variables);
    const callPart = (part: RootFieldDocument) =>
      source.call(
        operationFor(rootType, part.fieldName),
        { query: print(part.document), variables: part.variables, operationName: request.operationName },
        state,
        path,
        undefined,
        fieldArgs(part.document, part.variables),
      ) as Promise<ExecutionResult>;
    return runParts(parts, callPart, rootType === 'Mutation') as never;
  };
}

async function runParts(parts: readonly RootFieldDocument[], callPart: (part: RootFieldDocument) => Promise<ExecutionResult>, sequential: boolean): Promise<ExecutionResult> {
  const settled: PromiseSettledResult<ExecutionResult>[] = [];
  if (sequential) {
    for (const part of parts) settled.push(await callPart(part).then((value) => ({ status: 'fulfilled', value }) as const, (reason: unknown) => ({ status: 'rejected', reason }) as const));
  } else {
    settled.push(...(await Promise.allSettled(parts.map(callPart))));
  }
  const data: Record<string, unknown> = {};
  const errors: unknown[] = [];
  let nulled = false;
  settled.forEach((result, index) => {
    const part = parts[index]!;
    if (result.status === 'fulfilled') {
      if (result.value.data === null) nulled = true;
      Object.assign(data, result.value.data ?? {});
      errors.push(...(result.value.errors ?? []));
      return;
    }
    const error = result.reason instanceof GraphQLError ? result.reason : new GraphQLError(String(result.reason));
    for (const key of part.responseKeys) {
      data[key] = null;
      errors.push(new GraphQLError(error.message, { path: [key], extensions: error.extensions }));
    }
  });
  return { data: nulled ? null : data, ...(errors.length > 0 ? { errors: errors as GraphQLError[] } : {}) };
}
