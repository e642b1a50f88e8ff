import { describe, expect, it } from 'vitest';
import { demoEnv } from '../../src/cli/demo.js';
import { startDemoBackends } from '../../src/demo/index.js';
import { startGraphqlRemote } from '../helpers/graphql-remote.js';
import { demoConfigYaml, eventually } from '../helpers/live.js';
import { postQuery } from '../helpers/load.js';
import { startGatewayProcess } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('graceful shutdown of interchange serve', () => {
  it('on SIGTERM answers /readyz 503 at once, finishes the slow request in flight and exits 0', async () => {
    using dir = tempDir();
    await using backends = await startDemoBackends();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    await using slow = await startGraphqlRemote({ typeDefs: 'type Query { slow: String }', resolvers: { Query: { slow: async () => (await gate, 'done') } } });
    const file = dir.write(
      'interchange.yaml',
      demoConfigYaml((raw) => {
        (raw['sources'] as Record<string, unknown>[]).push({ name: 'slow', kind: 'graphql', endpoints: [slow.url] });
        raw['server'] = { ...(raw['server'] as object), shutdownGraceMs: 1500, shutdownTimeoutMs: 30_000 };
      }),
    );
    await using node = await startGatewayProcess(file, demoEnv(backends));
    const origin = node.url.replace(/\/graphql$/, '');
    expect((await fetch(`${origin}/readyz`)).status).toBe(200);

    const inFlight = postQuery(node.url, '{ slow }');
    await eventually('the slow call reaching its backend', () => slow.count('Query.slow') === 1);
    const exited = new Promise<number | null>((resolve) => node.child.once('exit', (code) => resolve(code)));
    node.child.kill('SIGTERM');

    await eventually('/readyz turning 503', async () => (await fetch(`${origin}/readyz`)).status === 503, 40);
    const report = (await (await fetch(`${origin}/readyz`)).json()) as { ready: boolean; shuttingDown: boolean; reasons: string[] };
    expect(report).toMatchObject({ ready: false, shuttingDown: true, reasons: ['shutting down'] });
    // Still alive and still answering the request in flight.
    expect(node.child.exitCode).toBeNull();
    release();
    expect((await inFlight).body).toEqual({ data: { slow: 'done' } });
    expect(await exited).toBe(0);
  });
});
