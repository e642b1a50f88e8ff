import type { DocumentNode, GraphQLSchema } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { createGatewayError } from '../errors.js';
import { requestStateOf } from '../request/state.js';
import { queryCost, type QueryCostSettings } from './query-cost.js';

export interface QueryCostOptions {
  /** `limits.queryCost` of the request's generation. */
  settings: (request: Request) => QueryCostSettings;
}

/**
 * The list-aware cost of each operation (see `queryCost`), computed once its variables are known: over
 * `limits.queryCost.max` it is refused with QUERY_TOO_COMPLEX (400) before any backend is called; otherwise it
 * is kept on the caller for cost-weighted rate limits.
 */
export function useQueryCost(options: QueryCostOptions): Plugin {
  // A document without variables costs the same every time (yoga's parser cache hands the same DocumentNode to
  // every request with the same text): computed once per document, schema, operation and settings.
  const costs = new WeakMap<DocumentNode, Map<string, { schema: GraphQLSchema; settings: QueryCostSettings; cost: number }>>();
  function costOf(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined, variables: Record<string, unknown> | null | undefined, settings: QueryCostSettings): number {
    if (variables && Object.keys(variables).length > 0) return queryCost(schema, document, operationName, variables, settings);
    let byOperation = costs.get(document);
    if (!byOperation) costs.set(document, (byOperation = new Map()));
    const known = byOperation.get(operationName ?? '');
    if (known && known.schema === schema && known.settings === settings) return known.cost;
    const cost = queryCost(schema, document, operationName, variables, settings);
    byOperation.set(operationName ?? '', { schema, settings, cost });
    return cost;
  }
  function check(request: Request | undefined, schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined, variables: Record<string, unknown> | null | undefined) {
    if (!request) return undefined;
    const settings = options.settings(request);
    const cost = costOf(schema, document, operationName, variables, settings);
    const caller = requestStateOf({ request }).caller;
    if (caller) caller.cost = cost;
    if (cost <= settings.max) return undefined;
    return createGatewayError('QUERY_TOO_COMPLEX', `Query cost ${cost >= 1e15 ? 'over 10^15' : cost} exceeds the limit of ${settings.max} (lists count by their ${settings.sizeArguments.join('/')} argument, ${settings.defaultListSize} items without one)`, {
      httpStatus: 400,
      extensions: { cost: Math.min(cost, 1e15), maxCost: settings.max },
    });
  }
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const refused = check((args.contextValue as { request?: Request }).request, args.schema, args.document, args.operationName, args.variableValues);
      if (refused) setResultAndStopExecution({ errors: [refused] });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const refused = check((args.contextValue as { request?: Request }).request, args.schema, args.document, args.operationName, args.variableValues);
      if (refused) setResultAndStopExecution({ errors: [refused] });
    },
  };
}
