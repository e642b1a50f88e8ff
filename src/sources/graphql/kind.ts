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
    const converted = await loadGraphqlSource({ name: config.name, schemaFile: config.schema, endpoint: endpointUrls(config)[0]!, headers });
    return { config, converted, createTransport: () => createGraphqlTransport({ headers, ...(config.maxConnections ? { connections: config.maxConnections } : {}) }) };
  },
  describe(converted) {
    const schema = (converted as GraphqlSource).schema;
    const fields: string[] = [];
    for (const root of [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]) {
      if (root) for (const field of Object.keys(root.getFields())) fields.push(`${root.name}.${field}`);
    }
    return { summary: 'remote schema (delegated)', fields };
  },
});
