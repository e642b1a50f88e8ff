import { readFileSync } from 'node:fs';
import { buildClientSchema, buildSchema, getIntrospectionQuery, printSchema, type GraphQLSchema, type IntrospectionQuery } from 'graphql';
import { SpecInvalidError } from '../../errors.js';
import type { ConvertedSource, OperationSpec, Transport } from '../types.js';
import { createGraphqlTransport, type GraphqlTransportOptions } from './transport.js';

export interface GraphqlSourceOptions {
  name: string;
  /** SDL file of the remote schema; when absent the schema is introspected from `endpoint`. */
  schemaFile?: string | undefined;
  endpoint: string;
  headers?: Readonly<Record<string, string>>;
  /** Milliseconds the introspection may take. Default 10000. */
  timeoutMs?: number;
}

export interface GraphqlSource extends ConvertedSource {
  /** The remote schema, delegated to as a stitching subschema. */
  readonly schema: GraphQLSchema;
}

/** The pseudo-operations of a remote GraphQL source: the unit of a call is a delegated document, not a field. */
export function graphqlOperation(source: string, rootType: 'Query' | 'Mutation'): OperationSpec {
  return { rootType, fieldName: '*', operationId: `${source}:${rootType === 'Query' ? 'query' : 'mutation'}`, readOnly: rootType === 'Query' };
}

/** Loads a remote service's schema from an SDL file or, failing that, by introspection (the one load-time network call). */
export async function loadGraphqlSource(options: GraphqlSourceOptions): Promise<GraphqlSource> {
  const schema = options.schemaFile ? readSchemaFile(options.schemaFile) : await introspect(options);
  const operations = new Map<string, OperationSpec>([
    ['Query.*', graphqlOperation(options.name, 'Query')],
    ['Mutation.*', graphqlOperation(options.name, 'Mutation')],
  ]);
  return { name: options.name, kind: 'graphql', schema, typeDefs: printSchema(schema), operations, notes: [] };
}

function readSchemaFile(file: string): GraphQLSchema {
  try {
    return buildSchema(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new SpecInvalidError(`Cannot load GraphQL schema ${file}`, [{ file, at: '', message: error instanceof Error ? error.message : String(error) }]);
  }
}

async function introspect(options: GraphqlSourceOptions): Promise<GraphQLSchema> {
  await using transport: Transport = createGraphqlTransport(options.headers ? { headers: options.headers } satisfies GraphqlTransportOptions : {});
  const fail = (message: string) => new SpecInvalidError(`Cannot introspect GraphQL source "${options.name}"`, [{ file: options.endpoint, at: 'introspection', message }]);
  let result: { data?: IntrospectionQuery; errors?: { message: string }[] };
  try {
    result = (await transport.call(options.endpoint, graphqlOperation(options.name, 'Query'), { query: getIntrospectionQuery() }, {
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      headers: {},
    })) as typeof result;
  } catch (error) {
    throw fail(error instanceof Error ? error.message : String(error));
  }
  if (!result.data) throw fail(result.errors?.map((e) => e.message).join('; ') ?? 'no data in the introspection result');
  try {
    return buildClientSchema(result.data);
  } catch (error) {
    throw fail(error instanceof Error ? error.message : String(error));
  }
}
