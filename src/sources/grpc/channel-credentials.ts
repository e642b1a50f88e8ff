import { readFileSync } from 'node:fs';
import { credentials, type ChannelCredentials } from '@grpc/grpc-js';
import { SpecInvalidError, type Problem } from '../../errors.js';

/** TLS settings of a gRPC source as files on disk (absolute paths), as the config gives them. */
export interface GrpcTlsFiles {
  /** PEM CA bundle trusted for the server's certificate. Default: Node's bundled roots. */
  readonly ca?: string | undefined;
  /** PEM client certificate chain, for mutual TLS; needs `key`. */
  readonly cert?: string | undefined;
  /** PEM private key of `cert`. */
  readonly key?: string | undefined;
  /** Skip verifying the server's certificate and name (like grpcurl's `-insecure`). Default false. */
  readonly insecure?: boolean | undefined;
}

/** The same settings read into memory: what the transport and the reflection client build credentials from. */
export interface GrpcTls {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly insecure?: boolean;
}

/** Reads the PEM files at load time, so a missing file is a load error naming the key, not a failure per call. */
export function readTlsFiles(files: GrpcTlsFiles, at: string): GrpcTls {
  const problems: Problem[] = [];
  const read = (key: 'ca' | 'cert' | 'key'): Buffer | undefined => {
    const file = files[key];
    if (file === undefined) return undefined;
    try {
      return readFileSync(file);
    } catch (error) {
      problems.push({ file, at: `${at}.${key}`, message: error instanceof Error ? error.message : String(error) });
      return undefined;
    }
  };
  const ca = read('ca');
  const cert = read('cert');
  const key = read('key');
  if ((cert === undefined) !== (key === undefined) && problems.length === 0) {
    problems.push({ file: files.cert ?? files.key ?? '', at, message: 'cert and key go together (mutual TLS)' });
  }
  if (problems.length > 0) throw new SpecInvalidError('Cannot read the TLS files of a gRPC source', problems);
  return { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}), ...(files.insecure ? { insecure: true } : {}) };
}

/** Plaintext without `tls`; TLS (server-verified unless `insecure`) with it. */
export function channelCredentials(tls: GrpcTls | undefined): ChannelCredentials {
  if (tls === undefined) return credentials.createInsecure();
  const verify = tls.insecure ? { rejectUnauthorized: false, checkServerIdentity: skipIdentityCheck } : {};
  return credentials.createSsl(tls.ca ?? null, tls.key ?? null, tls.cert ?? null, verify);
}

function skipIdentityCheck(): undefined {
  return undefined;
}
