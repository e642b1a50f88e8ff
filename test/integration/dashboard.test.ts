import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server/listen.js';
import { launchChromium } from '../helpers/browser.js';
import { SEED_QUERY } from '../helpers/demo-gateway.js';
import { startWithLogisticsApart, type LogisticsApart } from '../helpers/logistics-apart.js';
import { findSystemBinary } from '../helpers/system-deps.js';

/**
 * The live dashboard in real Chromium against real backends, logistics in a process of its own so it can be
 * frozen (SIGSTOP) for part of the traffic. The screenshot lands in test-artifacts/ (git-ignored).
 */
const TOKEN = 'dashboard-test-token-0123456789';
const chromiumPath = findSystemBinary('chromium', 'chromium');
const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts');

async function post(url: string, query: string): Promise<void> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
  await response.text();
}

describe('the dashboard', () => {
  let demo: LogisticsApart;
  let logistics: LogisticsApart['logistics'];
  let server: RunningServer;
  beforeAll(async () => {
    demo = await startWithLogisticsApart((raw) => {
      raw['admin'] = { token: TOKEN };
      Object.assign((raw['sources'] as Record<string, unknown>[]).find((s) => s['name'] === 'logistics')!, { timeoutMs: 300 });
    });
    ({ logistics, server } = demo);
  });
  afterAll(async () => {
    await demo?.[Symbol.asyncDispose]();
  });

  it('gives no data without the token: the API refuses it and the page shows only its login form', async () => {
    expect((await fetch(`${server.origin}/admin/api/stats`)).status).toBe(401);
    expect((await fetch(`${server.origin}/admin/api/stats`, { headers: { authorization: 'Bearer wrong-token-wrong-token', accept: 'text/event-stream' } })).status).toBe(401);
    const page = await (await fetch(`${server.origin}/admin`)).text();
    expect(page).not.toContain('inventory');
    const authorized = await fetch(`${server.origin}/admin/api/stats`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(authorized.status).toBe(200);
    expect(((await authorized.json()) as { sources: { name: string }[] }).sources.map((s) => s.name)).toEqual(['inventory', 'logistics', 'orders', 'reviews']);
  });

  it.skipIf(!chromiumPath)('draws the topology, heat maps and curves live, shows stale serving while a backend is frozen', async () => {
    await using browser = await launchChromium(chromiumPath!);
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const requested: string[] = [];
    const problems: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    page.on('console', (message) => void (message.type() === 'error' && problems.push(message.text())));
    page.on('pageerror', (error) => problems.push(error.message));

    // Without the token: the login form, and no data.
    await page.goto(`${server.origin}/admin`);
    await page.fill('#token', 'wrong-token-wrong-token');
    await page.click('#login button');
    await page.locator('#error').getByText('missing or wrong admin token').waitFor({ timeout: 10_000 });
    expect(await page.locator('#dash').isHidden()).toBe(true);
    problems.length = 0; // the browser logs the refused request (401) as a console error; that one is expected

    await page.fill('#token', TOKEN);
    await page.click('#login button');
    await page.locator('#topology [data-source="logistics"]').waitFor({ timeout: 10_000 });

    // Traffic, then logistics frozen: cached shipments are served stale, the others time out.
    for (let i = 0; i < 10; i++) await post(server.url, SEED_QUERY);
    logistics.child.kill('SIGSTOP');
    await Promise.all(Array.from({ length: 6 }, (_, i) => post(server.url, SEED_QUERY.replace('"1"', `"${i % 2 === 0 ? 1 : i + 40}"`))));
    await page.locator('#topology [data-source="logistics"][data-stale="true"]').waitFor({ timeout: 10_000 });
    await page.locator('#topology [data-replica][data-of="logistics"][data-health="down"]').waitFor({ timeout: 10_000 });
    logistics.child.kill('SIGCONT');
    for (let i = 0; i < 10; i++) await post(server.url, SEED_QUERY);
    await page.locator('#topology [data-source="logistics"][data-stale="false"]').waitFor({ timeout: 10_000 });

    // Every chart and every busy source's heat map drew something.
    for (const id of ['chart-requests', 'chart-latency', 'chart-errors', 'chart-cache']) {
      await page.locator(`#${id}[data-drawn="true"] canvas`).first().waitFor({ timeout: 10_000 });
    }
    for (const source of ['inventory', 'logistics', 'orders']) {
      await page.waitForFunction((name) => Number(document.querySelector(`canvas[data-source="${name}"]`)?.getAttribute('data-cells') ?? 0) > 0, source, { timeout: 10_000 });
    }
    await page.locator('#events').getByText('logistics is serving stale answers').waitFor({ timeout: 10_000 });
    await page.locator('#events').getByText('logistics answers live again').waitFor({ timeout: 10_000 });
    expect(await page.locator('#sources tbody tr td:first-child').allTextContents()).toEqual(['inventory', 'logistics', 'orders', 'reviews']);
    expect(await page.locator('#operations tbody tr').count()).toBeGreaterThan(0);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });
    expect(problems).toEqual([]);
    expect(requested.filter((url) => !url.startsWith(server.origin))).toEqual([]);
  });
});
