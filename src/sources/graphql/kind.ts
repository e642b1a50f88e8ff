import { resolve } from 'node:path';
import { endpointUrls } from '../endpoints.js';
import { checkHttpEndpoint, defineSourceKind } from '../kind.js';
import { graphqlSourceSchema } from './config.js';
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
  async load(config) {
    const headers = config.headers ?? {};
    const converted = await loadGraphqlSource({
      name: config.name,
      schemaFile: config.schema,
      endpoint: endpointUrls(config)[0]!,
      headers,
      rename: config.rename,
      exclude: config.exclude,
      federation: config.federation,
      ...(config.timeoutMs !== undefined ? { timeoutMs: config.timeoutMs } : {}),
    });
    return {
      config,
      converted,
      configProblems: converted.configProblems,
      createTransport: () =>
        createGraphqlTransport({ name: config.name, headers, ...(config.maxConnections ? { connections: config.maxConnections } : {}), ...(config.subscriptions ? { subscriptions: config.subscriptions } : {}) }),
    };
  },
  describe(converted) {
    const operations = [...(converted as GraphqlSource).operations.values()];
    return { summary: 'remote schema (delegated)', fields: operations.map((op) => `${`${op.rootType}.${op.fieldName}`.padEnd(36)} ← ${op.operationId}`) };
  },
});
