import type { GatewayConfig } from '../config/load.js';
import type { SourceConfig } from '../config/schema.js';
import { SpecInvalidError, isBootError, type Problem } from '../errors.js';
import { channelCredentials, convertProto, convertReflectedServices, createGrpcTransport, readTlsFiles } from '../sources/grpc/index.js';
import { createGraphqlTransport, loadGraphqlSource } from '../sources/graphql/index.js';
import { convertOpenApi, createOpenApiTransport } from '../sources/openapi/index.js';
import type { ConvertedSource, Transport } from '../sources/types.js';

/** A converted source plus the factory of its transport: the load phase's output for one source. */
export interface LoadedSource {
  readonly config: SourceConfig;
  readonly converted: ConvertedSource;
  createTransport(): Transport;
}

/** Converts one source's spec. Pure but for a remote GraphQL source without an SDL file (introspection). */
export async function loadSource(config: SourceConfig): Promise<LoadedSource> {
  const headers = config.headers ?? {};
  switch (config.kind) {
    case 'openapi': {
      const converted = await convertOpenApi({
        name: config.name,
        specFile: config.spec,
        ...(config.rename ? { rename: config.rename } : {}),
        ...(config.prefix !== undefined ? { prefix: config.prefix } : {}),
        ...(config.exclude ? { exclude: config.exclude } : {}),
      });
      const queryParameters = config.queryParameters ?? {};
      return {
        config,
        converted,
        createTransport: () => createOpenApiTransport(converted, { headers, queryParameters, ...(config.maxConnections ? { connections: config.maxConnections } : {}) }),
      };
    }
    case 'grpc': {
      const tls = config.tls ? readTlsFiles(config.tls, `sources.${config.name}.tls`) : undefined;
      const naming = { name: config.name, ...(config.rename ? { rename: config.rename } : {}), ...(config.rootTypes ? { rootTypes: config.rootTypes } : {}) };
      const converted =
        config.proto !== undefined
          ? await convertProto({ ...naming, protoFile: config.proto, ...(config.includeDirs ? { includeDirs: config.includeDirs } : {}) })
          : await convertReflectedServices({
              ...naming,
              endpoint: config.endpoints[0]!,
              credentials: channelCredentials(tls),
              metadata: headers,
              ...(config.timeoutMs !== undefined ? { timeoutMs: config.timeoutMs } : {}),
            });
      return { config, converted, createTransport: () => createGrpcTransport(converted, { metadata: headers, ...(tls ? { tls } : {}), ...(config.channels ? { channels: config.channels } : {}) }) };
    }
    case 'graphql': {
      const converted = await loadGraphqlSource({ name: config.name, schemaFile: config.schema, endpoint: config.endpoints[0]!, headers });
      return { config, converted, createTransport: () => createGraphqlTransport({ headers, ...(config.maxConnections ? { connections: config.maxConnections } : {}) }) };
    }
  }
}

/** Converts every source in parallel and reports every broken spec at once. */
export async function loadSources(config: GatewayConfig): Promise<LoadedSource[]> {
  const settled = await Promise.allSettled(config.sources.map(loadSource));
  const problems: Problem[] = [];
  const loaded: LoadedSource[] = [];
  settled.forEach((result, index) => {
    if (result.status === 'fulfilled') loaded.push(result.value);
    else if (isBootError(result.reason)) problems.push(...result.reason.problems);
    else problems.push({ file: config.file, at: `sources[${index}]`, message: result.reason instanceof Error ? result.reason.message : String(result.reason) });
  });
  if (problems.length > 0) throw new SpecInvalidError('Some sources cannot be loaded', problems);
  return loaded;
}
