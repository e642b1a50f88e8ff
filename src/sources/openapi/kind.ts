import { resolve } from 'node:path';
import { checkHttpEndpoint, defineSourceKind, describeOperations } from '../kind.js';
import { openapiSourceSchema, type OpenApiSourceConfig } from './config.js';
import { convertOpenApi } from './convert.js';
import { isUnreachableSpec, isUrl, type FetchedDocument } from './load-document.js';
import { parseSpecSnapshot, serializeSpecSnapshot, specSnapshotFingerprint } from './spec-snapshot.js';
import { createOpenApiTransport } from './transport.js';


/** `kind: openapi`: an OpenAPI 3.0/3.1 or Swagger 2.0 document → GraphQL SDL + an undici HTTP transport. */
export const openapiSource = defineSourceKind({
  kind: 'openapi',
  configSchema: openapiSourceSchema,
  delegated: false,
  resolvePaths: (config, baseDir) => ({ ...config, spec: isUrl(config.spec) ? config.spec : resolve(baseDir, config.spec) }),
  paths: (config) => (isUrl(config.spec) ? [] : [{ key: 'spec', path: config.spec, type: 'file' }]),
  checkEndpoint: checkHttpEndpoint,
  load: (config) => loadKind(config),
  describe: describeOperations,
  // JSON is YAML too, but the loader reads a `.json` file as JSON, which reports errors with JSON's own positions.
  inlineSpec: { key: 'specText', replaces: 'spec', extension: (text) => (text.trimStart().startsWith('{') ? '.json' : '.yaml') },
  // A spec file (an inline spec is written to one) is always at hand; a spec URL may be down when the gateway starts.
  schemaSnapshot: {
    fetches: (config) => isUrl(config.spec),
    fingerprint: (config) => specSnapshotFingerprint(config.spec),
    load: (config, snapshot) => loadKind(config, parseSpecSnapshot(snapshot)),
    unreachable: isUnreachableSpec,
  },
});

/** Loads a `kind: openapi` entry: its spec file, its spec URL (and the `$ref`s fetched beside it), or the documents of a snapshot. */
async function loadKind(config: OpenApiSourceConfig, offlineDocuments?: ReadonlyMap<string, FetchedDocument>) {
  const converted = await convertOpenApi({
    name: config.name,
    specFile: config.spec,
    ...(config.rename ? { rename: config.rename } : {}),
    ...(config.prefix !== undefined ? { prefix: config.prefix } : {}),
    ...(config.exclude ? { exclude: config.exclude } : {}),
    ...(offlineDocuments ? { offlineDocuments } : {}),
  });
  const transportOptions = {
    headers: config.headers ?? {},
    queryParameters: config.queryParameters ?? {},
    ...(config.maxConnections ? { connections: config.maxConnections } : {}),
  };
  return {
    config,
    converted,
    ...(converted.fetchedDocuments ? { schemaSnapshot: serializeSpecSnapshot(converted.fetchedDocuments) } : {}),
    createTransport: () => createOpenApiTransport(converted, transportOptions),
  };
}
