import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findSystemBinary } from '../helpers/system-deps.js';
import { launchChromium } from '../helpers/browser.js';
import { SEED_RESULT, startDemoGateway, type DemoGateway } from '../helpers/demo-gateway.js';

const chromiumPath = findSystemBinary('chromium', 'chromium');

describe('GraphiQL', () => {
  let demo: DemoGateway;
  beforeAll(async () => {
    demo = await startDemoGateway();
  });
  afterAll(async () => {
    await demo?.[Symbol.asyncDispose]();
  });

  it('is served to browsers at /graphql with every script and style inline (no external URL)', async () => {
    const response = await fetch(demo.server.url, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('<title>Interchange</title>');
    const external = [...html.matchAll(/<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)=["']((?:https?:)?\/\/[^"']+)/gi)].map((m) => m[1]);
    expect(external).toEqual([]);
  });

  it.skipIf(!chromiumPath)('renders in Chromium, loads nothing from outside and runs the seed query', async () => {
    await using browser = await launchChromium(chromiumPath!);
    const page = await browser.newPage();
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    await page.goto(demo.server.url);
    await page.locator('button.graphiql-execute-button').waitFor({ timeout: 20_000 });
    // The default query is the seed query; run it with the toolbar's execute button.
    const answer = page.waitForResponse((r) => r.url().startsWith(demo.server.url) && r.request().method() === 'POST' && (r.request().postData() ?? '').includes('order'));
    await page.locator('button.graphiql-execute-button').click();
    const body = (await (await answer).json()) as unknown;
    expect(body).toEqual({ data: SEED_RESULT });
    await page.locator('.graphiql-response').getByText('Pallet jack').waitFor({ timeout: 10_000 });
    const outside = requested.filter((url) => !url.startsWith(demo.server.origin) && !url.startsWith('data:') && !url.startsWith('blob:'));
    expect(outside).toEqual([]);
  });
});

describe('GraphiQL switched off (server.graphiql: false)', () => {
  it('is not served; the endpoint still answers queries', async () => {
    await using demo = await startDemoGateway({ edit: (raw) => void ((raw['server'] as Record<string, unknown>)['graphiql'] = false) });
    const page = await fetch(demo.server.url, { headers: { accept: 'text/html' } });
    expect(page.headers.get('content-type') ?? '').not.toContain('text/html');
    expect(await page.text()).not.toContain('<title>Interchange</title>');
    expect((await demo.query('{ order(id: "1") { id } }')).body).toEqual({ data: { order: { id: '1' } } });
  });
});
