import { resolve } from 'node:path';
import { endpointUrls } from '../endpoints.js';
import { defineSourceKind, describeOperations, type NamedPath } from '../kind.js';
import { channelCredentials, readTlsFiles } from './channel-credentials.js';
import type { ConvertedSource } from '../types.js';
import { grpcSourceSchema, type GrpcSourceConfig } from './config.js';
import { convertProto, convertReflectedServices, convertReflectionSnapshot, type GrpcOperation } from './convert-proto.js';
import { createGrpcTransport } from './create-grpc-transport.js';

/** `kind: grpc`: a .proto file (or server reflection) → GraphQL SDL + a grpc-js transport. */
export const grpcSource = defineSourceKind({
  kind: 'grpc',
  configSchema: grpcSourceSchema,
  delegated: false,
  resolvePaths(config, baseDir) {
    const tls = config.tls;
    return {
      ...config,
      ...(config.proto !== undefined ? { proto: resolve(baseDir, config.proto) } : {}),
      ...(config.includeDirs ? { includeDirs: config.includeDirs.map((d) => resolve(baseDir, d)) } : {}),
      ...(tls
        ? {
            tls: {
              ...tls,
              ...(tls.ca !== undefined ? { ca: resolve(baseDir, tls.ca) } : {}),
              ...(tls.cert !== undefined ? { cert: resolve(baseDir, tls.cert) } : {}),
              ...(tls.key !== undefined ? { key: resolve(baseDir, tls.key) } : {}),
            },
          }
        : {}),
    };
  },
  paths(config) {
    const files: [string, string | undefined][] = [
      ['proto', config.proto],
      ['tls.ca', config.tls?.ca],
      ['tls.cert', config.tls?.cert],
      ['tls.key', config.tls?.key],
    ];
    const out: NamedPath[] = files.flatMap(([key, path]) => (path === undefined ? [] : [{ key, path, type: 'file' as const }]));
    config.includeDirs?.forEach((path, i) => out.push({ key: `includeDirs[${i}]`, path, type: 'directory' }));
    return out;
  },
  checkEndpoint: (endpoint) => (/^(dns:\/\/\/|unix:)?[^\s/]+(:\d+)?$/.test(endpoint) ? undefined : `"${endpoint}" is not a gRPC target (host:port)`),
  load: (config) => loadKind(config),
  describe: describeOperations,
  inlineSpec: { key: 'protoText', replaces: 'proto', extension: () => '.proto' },
  schemaSnapshot: {
    fetches: (config) => config.proto === undefined,
    fingerprint: (config) => JSON.stringify(['grpc', endpointUrls(config)[0]]),
    load: (config, snapshot) => loadKind(config, snapshot),
  },
});

/** Loads a `kind: grpc` entry: its .proto file, the reflection snapshot given, or the server's reflection service. */
async function loadKind(config: GrpcSourceConfig, snapshot?: string) {
  const headers = config.headers ?? {};
  const tls = config.tls ? readTlsFiles(config.tls, `sources.${config.name}.tls`) : undefined;
  const naming = { name: config.name, ...(config.rename ? { rename: config.rename } : {}), ...(config.rootTypes ? { rootTypes: config.rootTypes } : {}) };
  const endpoint = endpointUrls(config)[0]!;
  let converted: ConvertedSource<GrpcOperation>;
  let fetched: string | undefined;
  if (config.proto !== undefined) converted = await convertProto({ ...naming, protoFile: config.proto, ...(config.includeDirs ? { includeDirs: config.includeDirs } : {}) });
  else if (snapshot !== undefined) converted = convertReflectionSnapshot(naming, snapshot, endpoint);
  else {
    const reflected = await convertReflectedServices({
      ...naming,
      endpoint,
      credentials: channelCredentials(tls),
      metadata: headers,
      ...(config.timeoutMs !== undefined ? { timeoutMs: config.timeoutMs } : {}),
    });
    converted = reflected;
    fetched = reflected.snapshot;
  }
  return {
    config,
    converted,
    ...(fetched !== undefined ? { schemaSnapshot: fetched } : {}),
    createTransport: () => createGrpcTransport(converted, { metadata: headers, ...(tls ? { tls } : {}), ...(config.channels ? { channels: config.channels } : {}) }),
  };
}
