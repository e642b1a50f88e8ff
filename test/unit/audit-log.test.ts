import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAuditLog } from '../../src/security/audit-log.js';
import { createInMemoryDemo, rawSource } from '../helpers/in-memory-demo.js';
import { hs256Auth, makeToken } from '../helpers/tokens.js';
import { tempDir } from '../helpers/temp-dir.js';

function linesIn(dir: string): Record<string, unknown>[] {
  return readdirSync(dir)
    .filter((f) => /^audit\.log(\.\d+)?$/.test(f))
    .sort()
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>));
}

describe('the audit log', () => {
  it('writes one line per call of an audited source, with the documented fields and redacted paths', async () => {
    using dir = tempDir();
    const demo = await createInMemoryDemo({
      edit: (raw) => {
        raw['auth'] = hs256Auth();
        raw['audit'] = { destination: join(dir.path, 'audit.log'), redact: ['variables.delta', 'args.input.delta'] };
        Object.assign(rawSource(raw, 'inventory'), { audit: true, operations: { adjustStock: { auth: { claims: { role: 'admin' } } } } });
      },
    });
    const token = await makeToken({ sub: 'alice', role: 'admin' });
    const answer = await demo.query('mutation Adjust($delta: Int!) { adjustStock(id: "p1", input: { delta: $delta }) { id } }', {
      variables: { delta: 31337 },
      headers: { authorization: `Bearer ${token}`, 'x-request-id': 'req-42' },
    });
    expect(answer.body.errors).toBeUndefined();
    // A refused call is audited too; a source not marked is not.
    await demo.query('mutation { adjustStock(id: "p1", input: { delta: 1 }) { id } }', { headers: { authorization: `Bearer ${await makeToken({ sub: 'bob' })}` } });
    await demo.query('{ order(id: "1") { id } }');
    await demo[Symbol.asyncDispose]();

    const lines = linesIn(dir.path);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toEqual({
      level: 30,
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      event: 'source_call',
      requestId: 'req-42',
      user: 'alice',
      clientIp: 'unknown',
      operationName: 'Adjust',
      documentHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      source: 'inventory',
      operation: 'adjustStock',
      args: { id: 'p1', input: { delta: '[Redacted]' } },
      variables: { delta: '[Redacted]' },
      outcome: 'ok',
      latencyMs: expect.any(Number),
    });
    expect(lines[1]).toMatchObject({ user: 'bob', operation: 'adjustStock', outcome: 'FORBIDDEN', requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(JSON.stringify(lines)).not.toContain('31337');
  });

  it('records a remote GraphQL source\'s calls by the root field\'s own arguments, so redaction reaches them (finding 14)', async () => {
    using dir = tempDir();
    const demo = await createInMemoryDemo({
      edit: (raw) => {
        raw['audit'] = { destination: join(dir.path, 'audit.log'), redact: ['args.productId', 'args.id'] };
        rawSource(raw, 'reviews')['audit'] = true;
        rawSource(raw, 'inventory')['audit'] = true;
      },
    });
    await demo.query('query ($p: ID!) { reviewsByProduct(productId: $p) { rating } product(id: "p1") { id } }', { variables: { p: 'p-secret-1' } });
    await demo.query('{ reviewsByProduct(productId: "p-secret-2") { rating } }');
    await demo.query('{ products(limit: 1) { id reviews { rating } } }'); // a batched link to reviews
    await demo[Symbol.asyncDispose]();

    const lines = linesIn(dir.path);
    const calls = lines.map((l) => [l['source'], l['operation'], l['args']]);
    expect(calls).toEqual(
      expect.arrayContaining([
        ['inventory', 'product', { id: '[Redacted]' }],
        ['reviews', 'reviewsByProduct', { productId: '[Redacted]' }],
        ['reviews', 'reviewsByProducts', { productIds: ['p1'] }],
      ]),
    );
    expect(lines.filter((l) => l['operation'] === 'reviewsByProduct')).toHaveLength(2);
    expect(JSON.stringify(lines.map((l) => l['args']))).not.toMatch(/p-secret|query/);
  });

  it('rotates the file by size, keeping maxFiles rotated files', async () => {
    using dir = tempDir();
    const log = createAuditLog({ destination: join(dir.path, 'audit.log'), maxSizeMb: 0.01, maxFiles: 3, redact: [] }, (error) => expect.fail(String(error)));
    const entry = { requestId: 'r', user: null, clientIp: '127.0.0.1', operationName: null, documentHash: null, source: 's', operation: 'o', args: { pad: 'x'.repeat(300) }, variables: null, outcome: 'ok', latencyMs: 1 };
    // 200 lines of ~450 bytes: ~90 KB through 10 KB files, of which the current one and 3 rotated ones are kept.
    for (let i = 0; i < 200; i++) log.write({ ...entry, requestId: `r${i}` });
    await log[Symbol.asyncDispose]();
    const files = readdirSync(dir.path).filter((f) => /^audit\.log(\.\d+)?$/.test(f));
    expect(files).toContain('audit.log');
    expect(files).toHaveLength(4);
    const ids = linesIn(dir.path).map((l) => l['requestId']);
    expect(ids).toContain('r199');
    expect(ids).not.toContain('r0');
    expect(ids.length).toBeLessThan(200);
  });
});
