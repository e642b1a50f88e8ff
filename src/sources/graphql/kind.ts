import { resolve } from 'node:path';
import { endpointUrls } from '../endpoints.js';
import { checkHttpEndpoint, defineSourceKind } from '../kind.js';
import { graphqlSourceSchema, type GraphqlSourceConfig } from './config.js';
import { loadGraphqlSource, type GraphqlSource } from './load.js';
import { createGraphqlTransport } from './transport.js';

/** `kind: graphql`: a remote GraphQL service, delegated to as a stitching subschema. */
export const graphqlSource = defineSourceKind({
  kind: 'graphql',
  configSchema: graphqlSourceSchema,
  delegated: true,
  resolvePaths: (config, baseDir) => (config.schema !== undefined ? { ...config, schema: resolve(baseDir, config.schema) } : config),
  paths: (config) => (config.schema !== undefined ? [{ key: 'schema', path: config.schema, type: 'file' }] : []),
  checkEndpoint: checkHttpEndpoint,
  load: (config) => loadKind(config),
  describe(converted) {
    const operations = [...(converted as GraphqlSource).operations.values()];
    return { summary: 'remote schema (delegated)', fields: operations.map((op) => `${`${op.rootType}.${op.fieldName}`.padEnd(36)} ← ${op.operationId}`) };
  },
  inlineSpec: { key: 'schemaText', replaces: 'schema', extension: () => '.graphql' },
  schemaSnapshot: {
    fetches: (config) => config.schema === undefined,
    fingerprint: (config) => JSON.stringify(['graphql', endpointUrls(config)[0], config.federation === true]),
    load: (config, snapshot) => loadKind(config, snapshot),
  },
});

/** Loads a `kind: graphql` entry: its SDL file, the snapshot given, or the endpoint (introspection, `_service`). */
async function loadKind(config: GraphqlSourceConfig, snapshotSdl?: string) {
  const headers = config.headers ?? {};
  const converted = await loadGraphqlSource({
    name: config.name,
    schemaFile: config.schema,
    endpoint: endpointUrls(config)[0]!,
    headers,
    rename: config.rename,
    exclude: config.exclude,
    federation: config.federation,
    snapshotSdl,
    ...(config.timeoutMs !== undefined ? { timeoutMs: config.timeoutMs } : {}),
  });
  return {
    config,
    converted,
    configProblems: converted.configProblems,
    ...(converted.fetchedSdl !== undefined ? { schemaSnapshot: converted.fetchedSdl } : {}),
    createTransport: () =>
      createGraphqlTransport({ name: config.name, headers, ...(config.maxConnections ? { connections: config.maxConnections } : {}), ...(config.subscriptions ? { subscriptions: config.subscriptions } : {}) }),
  };
}
