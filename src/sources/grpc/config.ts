import { z } from 'zod';
import { sourceConfigFields } from '../source-config.js';

/**
 * TLS for a gRPC source. Its presence is what turns TLS on: endpoints stay gRPC targets (`host:port`), there is
 * no `grpcs://` scheme. `tls: {}` verifies the server against Node's bundled CA roots.
 */
const grpcTlsSchema = z
  .strictObject({
    /** PEM CA bundle to trust for the server's certificate, relative to the config file. Default: Node's bundled roots. */
    ca: z.string().min(1).optional(),
    /** PEM client certificate chain for mutual TLS, relative to the config file; needs `key`. Default: none. */
    cert: z.string().min(1).optional(),
    /** PEM private key of `cert`, relative to the config file. Default: none. */
    key: z.string().min(1).optional(),
    /** Skip verifying the server's certificate and name (grpcurl's `-insecure`); for development only. Default false. */
    insecure: z.boolean().optional(),
  })
  .refine((tls) => (tls.cert === undefined) === (tls.key === undefined), { message: 'cert and key go together (mutual TLS)' })
  .describe('TLS for the gRPC channel; present = TLS, absent = plaintext. Endpoints stay host:port.');

/** A `sources:` entry with `kind: grpc`. */
export const grpcSourceSchema = z.strictObject({
  ...sourceConfigFields,
  kind: z.literal('grpc'),
  /**
   * The .proto file, relative to the config file; its services are exposed. Without it the services are loaded
   * at load time from the reflection service (grpc.reflection.v1, else v1alpha) of the first endpoint.
   */
  proto: z.string().min(1).optional(),
  /** Channels (HTTP/2 connections) per endpoint, used in turn. Default 1. */
  channels: z.number().int().min(1).max(64).optional(),
  /** TLS for the channel (see above). Default: plaintext. */
  tls: grpcTlsSchema.optional(),
  /** Directories searched for imports, relative to the config file. */
  includeDirs: z.array(z.string().min(1)).optional(),
  /** `Service/Method` or field name → `Query` | `Mutation`, overriding the naming convention. */
  rootTypes: z.record(z.string(), z.enum(['Query', 'Mutation'])).optional(),
});

export type GrpcSourceConfig = z.infer<typeof grpcSourceSchema>;
