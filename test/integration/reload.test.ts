import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { SpecInvalidError } from '../../src/errors.js';
import { startDemoGateway } from '../helpers/demo-gateway.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('gateway.reload', () => {
  it('swaps in a valid config, refuses a broken one without changing anything, and warns about start-only keys', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'info' }, new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>), done()) }));
    await using demo = await startDemoGateway({ logger });
    const raw = () => {
      const copy = structuredClone(demo.config) as unknown as Record<string, unknown>;
      delete copy['file'];
      return copy as Record<string, unknown> & { sources: Record<string, unknown>[] };
    };
    const query = async (text: string) =>
      (await (await demo.gateway.fetch('http://gateway/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: text }) })).json()) as {
        data?: unknown;
        errors?: unknown[];
      };

    const renamed = raw();
    renamed.sources.find((s) => s['name'] === 'orders')!['rename'] = { getOrder: 'purchase' };
    renamed['limits'] = { maxDepth: 20 };
    renamed['rateLimitStore'] = 'redis://127.0.0.1:1';
    await demo.gateway.reload(validateConfig(renamed, demo.config.file));
    expect((await query('{ purchase(id: "1") { id } }')).data).toEqual({ purchase: { id: '1' } });
    // Query limits are live now; the rate-limit store is read at start.
    expect(lines.find((l) => l['level'] === 40)?.['msg']).toBe('reloaded, but rateLimitStore only change on restart');

    using dir = tempDir();
    const broken = raw();
    broken.sources.find((s) => s['name'] === 'inventory')!['spec'] = dir.write('broken.yaml', 'openapi: 3.0.3\npaths: [not, a, map]\n');
    const error = await demo.gateway.reload(validateConfig(broken, demo.config.file)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SpecInvalidError);
    expect((await query('{ purchase(id: "1") { id } }')).data).toEqual({ purchase: { id: '1' } });
  });
});
