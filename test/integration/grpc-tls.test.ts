import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ServerCredentials } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { loadSource } from '../../src/gateway/load-sources.js';
import { convertProto, createGrpcTransport, readTlsFiles, type GrpcOperation } from '../../src/sources/grpc/index.js';
import type { ConvertedSource } from '../../src/sources/types.js';
import { findSystemBinary } from '../helpers/system-deps.js';
import { ORDERS_INCLUDE_DIRS, ORDERS_PROTO, startOrdersBackend, type OrdersBackend } from '../fixtures/grpc/start-orders-backend.js';

// Certificates are made at test time with openssl; without it (and outside CI) TLS is skipped, loudly.
const openssl = findSystemBinary('openssl', 'openssl');

describe.skipIf(!openssl)('gRPC over TLS', () => {
  let dir: string;
  let backend: OrdersBackend;
  let source: ConvertedSource<GrpcOperation>;
  const call = () => ({ signal: new AbortController().signal, headers: {} });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'interchange-tls-'));
    // A self-signed certificate for localhost and 127.0.0.1, made for this run.
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    const credentials = ServerCredentials.createSsl(null, [{ private_key: readFileSync(path.join(dir, 'key.pem')), cert_chain: readFileSync(path.join(dir, 'cert.pem')) }], false);
    backend = await startOrdersBackend({ credentials });
    source = await convertProto({ name: 'orders', protoFile: ORDERS_PROTO, includeDirs: ORDERS_INCLUDE_DIRS });
  });

  afterAll(async () => {
    await backend?.[Symbol.asyncDispose]();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('calls a TLS server that the configured CA vouches for', async () => {
    await using transport = createGrpcTransport(source, { tls: readTlsFiles({ ca: path.join(dir, 'cert.pem') }, 'tls') });
    await expect(transport.call(backend.endpoint, source.operations.get('Mutation.ping')!, {}, call())).resolves.toBe(true);
  });

  it('refuses an unknown certificate as unavailable, and accepts it with insecure', async () => {
    await using verifying = createGrpcTransport(source, { tls: readTlsFiles({}, 'tls') });
    await expect(verifying.call(backend.endpoint, source.operations.get('Mutation.ping')!, {}, call())).rejects.toMatchObject({ name: 'TransportError', failure: 'unavailable' });
    await using insecure = createGrpcTransport(source, { tls: readTlsFiles({ insecure: true }, 'tls') });
    await expect(insecure.call(backend.endpoint, source.operations.get('Mutation.ping')!, {}, call())).resolves.toBe(true);
  });

  it('fails a plaintext call to a TLS server as unavailable', async () => {
    await using plaintext = createGrpcTransport(source);
    await expect(plaintext.call(backend.endpoint, source.operations.get('Mutation.ping')!, {}, call())).rejects.toMatchObject({ failure: 'unavailable' });
  });

  it('resolves tls paths against the config file and uses them from the config', async () => {
    const config = validateConfig(
      { sources: [{ name: 'orders', kind: 'grpc', proto: ORDERS_PROTO, includeDirs: ORDERS_INCLUDE_DIRS, endpoints: [backend.endpoint], tls: { ca: 'cert.pem' } }] },
      path.join(dir, 'interchange.yaml'),
    );
    const grpcSource = config.sources[0]!;
    expect(grpcSource.kind === 'grpc' && grpcSource.tls).toEqual({ ca: path.join(dir, 'cert.pem') });
    const loaded = await loadSource(grpcSource);
    await using transport = loaded.createTransport();
    await expect(transport.call(backend.endpoint, loaded.converted.operations.get('Mutation.ping')!, {}, call())).resolves.toBe(true);
  });

  it('names a missing TLS file and a cert without key in the config', () => {
    const source = (tls: object) => ({ sources: [{ name: 'orders', kind: 'grpc', proto: ORDERS_PROTO, endpoints: ['127.0.0.1:1'], tls }] });
    expect(() => validateConfig(source({ ca: 'missing.pem' }), path.join(dir, 'interchange.yaml'))).toThrow(/sources\[0\]\.tls\.ca.*file not found/s);
    expect(() => validateConfig(source({ cert: 'cert.pem' }), path.join(dir, 'interchange.yaml'))).toThrow(/cert and key go together/);
  });
});
