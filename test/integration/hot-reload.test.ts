import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { DEMO_CONFIG, demoEnv } from '../../src/cli/demo.js';
import { startDemoBackends, type DemoBackends } from '../../src/demo/index.js';
import type { GraphqlBody } from '../helpers/demo-gateway.js';
import { startGatewayProcess } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';

/** The demo config with absolute spec paths, so it can live in a temp dir; `rename` for the orders source. */
function demoConfigYaml(ordersRename: Record<string, string>): string {
  const raw = parseYaml(readFileSync(DEMO_CONFIG, 'utf8')) as Record<string, unknown>;
  for (const source of raw['sources'] as Record<string, unknown>[]) {
    for (const key of ['spec', 'proto', 'schema']) if (typeof source[key] === 'string') source[key] = new URL(source[key] as string, `file://${DEMO_CONFIG}`).pathname;
    if (source['name'] === 'orders') source['rename'] = ordersRename;
  }
  raw['links'] = new URL(raw['links'] as string, `file://${DEMO_CONFIG}`).pathname;
  return toYaml(raw);
}

describe('hot reload of the config file by interchange serve', () => {
  // Made in beforeAll, not with `using` in this callback: describe's body ends before any test runs.
  let dir: ReturnType<typeof tempDir>;
  let backends: DemoBackends;
  let gateway: Awaited<ReturnType<typeof startGatewayProcess>>;

  beforeAll(async () => {
    dir = tempDir();
    const file = dir.write('interchange.yaml', demoConfigYaml({ getOrder: 'order', listOrders: 'orders' }));
    backends = await startDemoBackends();
    gateway = await startGatewayProcess(file, demoEnv(backends));
  });
  afterAll(async () => {
    await gateway?.kill();
    await backends?.close();
    dir?.[Symbol.dispose]();
  });

  async function query(text: string) {
    const response = await fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: text }) });
    return (await response.json()) as GraphqlBody;
  }

  /** Waits (bounded) until the process has printed `text` `times` times. */
  async function printed(text: string, times: number) {
    for (let i = 0; i < 100 && gateway.output().split(text).length - 1 < times; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(gateway.output().split(text).length - 1).toBeGreaterThanOrEqual(times);
  }

  it('applies a valid edit without a restart', async () => {
    expect((await query('{ order(id: "1") { id } }')).data).toEqual({ order: { id: '1' } });
    dir.write('interchange.yaml', demoConfigYaml({ getOrder: 'purchase', listOrders: 'orders' }));
    await printed('Interchange reloaded', 1);
    expect((await query('{ purchase(id: "1") { id customerId } }')).data).toEqual({ purchase: { id: '1', customerId: 'c-100' } });
    expect((await query('{ order(id: "1") { id } }')).errors![0]!.message).toContain('Cannot query field "order"');
  });

  it('reports an invalid edit and keeps serving the running config', async () => {
    dir.write('interchange.yaml', demoConfigYaml({ getOrder: 'purchase' }).replace('kind: grpc', 'kind: corba'));
    await printed('reload failed', 1);
    expect(gateway.output()).toContain('sources[2].kind');
    expect((await query('{ purchase(id: "1") { id } }')).data).toEqual({ purchase: { id: '1' } });
  });
});
