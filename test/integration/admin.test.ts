import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.js';
import { SEED_QUERY, startDemoGateway, type DemoGateway } from '../helpers/demo-gateway.js';
import { findSystemBinary } from '../helpers/system-deps.js';

const TOKEN = 'test-admin-token-0123456789';
const chromiumPath = findSystemBinary('chromium', 'chromium');

describe('the admin API and dashboard', () => {
  let demo: DemoGateway;
  beforeAll(async () => {
    demo = await startDemoGateway({ edit: (raw) => void (raw['admin'] = { token: TOKEN }) });
  });
  afterAll(async () => {
    await demo?.[Symbol.asyncDispose]();
  });

  const api = (path: string, init: RequestInit = {}, token = TOKEN) =>
    fetch(`${demo.server.origin}/admin/api/${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers } });

  it('refuses requests without the right token', async () => {
    expect((await fetch(`${demo.server.origin}/admin/api/status`)).status).toBe(401);
    expect((await api('status', {}, 'wrong-token-wrong-token')).status).toBe(401);
  });

  it('reports every source with its call outcomes', async () => {
    await demo.query(SEED_QUERY);
    const response = await api('status');
    expect(response.status).toBe(200);
    const status = (await response.json()) as { sources: { name: string; kind: string; calls: Record<string, number> }[] };
    expect(status.sources.map((s) => [s.name, s.kind])).toEqual([['inventory', 'openapi'], ['logistics', 'openapi'], ['orders', 'grpc'], ['reviews', 'graphql']]);
    expect(status.sources.find((s) => s.name === 'orders')!.calls['ok']).toBeGreaterThanOrEqual(1);
  });

  it('purges one call for every caller, by operation and arguments', async () => {
    await demo.query(SEED_QUERY);
    await demo.query(SEED_QUERY.replace('"1"', '"2"'));
    const purge = async (body: unknown) => (await (await api('cache/purge', { method: 'POST', body: JSON.stringify(body) })).json()) as { removed: number };
    expect(await purge({ source: 'logistics', operation: 'shipmentsByOrders', args: { orderIds: ['1'] } })).toMatchObject({ removed: 1 });
    expect(await purge({ source: 'logistics', operation: 'shipmentsByOrders', args: { orderIds: ['1'] } })).toMatchObject({ removed: 0 });
    // The other order's entry is still there, until its operation is purged.
    expect(await purge({ source: 'logistics', operation: 'shipmentsByOrders' })).toMatchObject({ removed: 1 });
    const unknown = await api('cache/purge', { method: 'POST', body: JSON.stringify({ source: 'logistics', operation: 'nope' }) });
    expect(unknown.status).toBe(404);
    const argsWithoutOperation = await api('cache/purge', { method: 'POST', body: JSON.stringify({ source: 'logistics', args: {} }) });
    expect(argsWithoutOperation.status).toBe(400);
  });

  it('purges a source\'s cached entries, so they can no longer be served stale', async () => {
    await demo.query(SEED_QUERY);
    const response = await api('cache/purge', { method: 'POST', body: JSON.stringify({ source: 'logistics' }) });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { removed: number }).removed).toBeGreaterThanOrEqual(1);
    await demo.backends.logistics.close();
    const { body } = await demo.query(SEED_QUERY);
    expect(body.extensions?.['stale']).toBeUndefined();
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'SOURCE_UNAVAILABLE', source: 'logistics' });
  });

  it('rejects a malformed purge and an unknown source without changing anything', async () => {
    expect((await api('cache/purge', { method: 'POST', body: '{not json' })).status).toBe(400);
    expect((await api('cache/purge', { method: 'POST', body: JSON.stringify({ source: 7 }) })).status).toBe(400);
    expect((await api('cache/purge', { method: 'POST', body: JSON.stringify({ source: 'logistcs' }) })).status).toBe(404);
  });

  it.skipIf(!chromiumPath)('shows the sources in the dashboard once the token is entered', async () => {
    await using browser = await launchChromium(chromiumPath!);
    const page = await browser.newPage();
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    await page.goto(`${demo.server.origin}/admin`);
    await page.fill('#token', TOKEN);
    await page.click('#login button');
    await page.locator('#sources tbody tr').nth(3).waitFor({ timeout: 10_000 });
    const names = await page.locator('#sources tbody tr td:first-child').allTextContents();
    expect(names).toEqual(['inventory', 'logistics', 'orders', 'reviews']);
    expect(requested.filter((url) => !url.startsWith(demo.server.origin))).toEqual([]);
  });
});

describe('the admin API without a token in the config', () => {
  it('is disabled (404)', async () => {
    await using demo = await startDemoGateway();
    const response = await fetch(`${demo.server.origin}/admin/api/status`, { headers: { authorization: 'Bearer anything-anything-anything' } });
    expect(response.status).toBe(404);
  });
});
