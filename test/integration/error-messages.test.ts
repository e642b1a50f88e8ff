import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { defineConfig } from '../../src/config/define.js';
import { createGateway } from '../../src/server/create-gateway.js';
import { closedPort } from '../helpers/openapi-fixture.js';

/**
 * Errors clients see name the source, never its internal endpoint; the logs keep the endpoint (finding 19).
 * Real sockets: the messages come from undici, grpc-js and the transports as they fail for real.
 */
const SCHEMAS = join(import.meta.dirname, '..', '..', 'schemas');

function debugLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

async function errorsOf(source: Record<string, unknown>, query: string) {
  const { logger, lines } = debugLogger();
  await using gateway = await createGateway(defineConfig({ sources: [{ retry: { attempts: 0 }, ...source } as never] }), { logger });
  const response = await gateway.fetch('http://gateway.test/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
  const body = (await response.json()) as { errors: { message: string; extensions: Record<string, unknown> }[] };
  return { errors: body.errors, logs: lines.join('\n') };
}

describe('error messages and internal endpoints', () => {
  it('a remote GraphQL source answering 503, or refusing the connection: the source\'s name, not its URL', async () => {
    const server = createServer((_req, res) => res.writeHead(503).end('down'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      for (const endpoint of [`http://127.0.0.1:${port}/graphql`, `http://127.0.0.1:${await closedPort()}/graphql`]) {
        const { errors, logs } = await errorsOf({ name: 'reviews', kind: 'graphql', schema: join(SCHEMAS, 'reviews.graphql'), endpoints: [endpoint] }, '{ reviewsByProduct(productId: "p1") { rating } }');
        expect(errors[0]!.extensions).toMatchObject({ code: 'SOURCE_UNAVAILABLE', source: 'reviews' });
        expect(errors[0]!.message).toMatch(/^reviews: /);
        expect(JSON.stringify(errors)).not.toMatch(/127\.0\.0\.1|http:\/\/|:\d{4,5}\b/);
        expect(logs).toContain(endpoint); // which replica failed is for the operator
      }
    } finally {
      server.close();
    }
  });

  it('a gRPC source whose endpoint refuses the connection: no address from grpc-js\'s status details', async () => {
    const endpoint = `127.0.0.1:${await closedPort()}`;
    const { errors, logs } = await errorsOf({ name: 'orders', kind: 'grpc', proto: join(SCHEMAS, 'orders.proto'), endpoints: [endpoint] }, '{ getOrder(id: "1") { id } }');
    expect(errors[0]!.extensions).toMatchObject({ code: 'SOURCE_UNAVAILABLE', source: 'orders' });
    expect(JSON.stringify(errors)).not.toContain(endpoint);
    expect(JSON.stringify(errors)).not.toMatch(/127\.0\.0\.1/);
    expect(logs).toContain(endpoint);
  });
});
