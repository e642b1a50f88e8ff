import { resolve } from 'node:path';
import { endpointUrls } from '../endpoints.js';
import { defineSourceKind, describeOperations, type NamedPath } from '../kind.js';
import { channelCredentials, readTlsFiles } from './channel-credentials.js';
import { grpcSourceSchema } from './config.js';
import { convertProto, convertReflectedServices } from './convert-proto.js';
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
  async load(config) {
    const headers = config.headers ?? {};
    const tls = config.tls ? readTlsFiles(config.tls, `sources.${config.name}.tls`) : undefined;
    const naming = { name: config.name, ...(config.rename ? { rename: config.rename } : {}), ...(config.rootTypes ? { rootTypes: config.rootTypes } : {}) };
    const converted =
      config.proto !== undefined
        ? await convertProto({ ...naming, protoFile: config.proto, ...(config.includeDirs ? { includeDirs: config.includeDirs } : {}) })
        : await convertReflectedServices({
            ...naming,
            endpoint: endpointUrls(config)[0]!,
            credentials: channelCredentials(tls),
            metadata: headers,
            ...(config.timeoutMs !== undefined ? { timeoutMs: config.timeoutMs } : {}),
          });
    return {
      config,
      converted,
      createTransport: () => createGrpcTransport(converted, { metadata: headers, ...(tls ? { tls } : {}), ...(config.channels ? { channels: config.channels } : {}) }),
    };
  },
  describe: describeOperations,
});
