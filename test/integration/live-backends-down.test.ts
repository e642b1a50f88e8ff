import { describe, expect, it } from 'vitest';
import { demoEnv } from '../../src/cli/demo.js';
import { createGateway } from '../../src/server/create-gateway.js';
import { SEED_QUERY, SEED_RESULT } from '../helpers/demo-gateway.js';
import { createInMemoryBackends, demoConfig, rawSource } from '../helpers/in-memory-demo.js';
import { startDemoBackends } from '../../src/demo/index.js';
import { listen } from '../../src/server/listen.js';
import { createLiveGateway } from '../../src/server/live-config.js';
import { startGraphqlRemote, type GraphqlRemote } from '../helpers/graphql-remote.js';
import { admin, demoConfigYaml, eventually } from '../helpers/live.js';
import { postQuery } from '../helpers/load.js';
import { freePort } from '../helpers/redis.js';
import { tempDir } from '../helpers/temp-dir.js';

const WEATHER_SDL = 'type Query { weather(city: String!): String }';
/** The weather service on `port`: where the gateway looks for it, whenever it comes back. */
const startWeather = (port: number): Promise<GraphqlRemote> =>
  startGraphqlRemote({ typeDefs: WEATHER_SDL, resolvers: { Query: { weather: (_: unknown, args: { city: string }) => `sunny in ${args.city}` } }, port });

/** The weather source, looked for on `port` (where nothing listens until a test starts it). */
const weatherSource = (port: number, extra: Record<string, unknown> = {}) => ({ name: 'weather', kind: 'graphql', endpoints: [`http://127.0.0.1:${port}/graphql`], timeoutMs: 500, ...extra });

describe('a remote GraphQL source whose backend is down', () => {
  it('starts without it, serves the rest, says so in /readyz, and picks it up when it comes back', async () => {
    using dir = tempDir();
    await using backends = await startDemoBackends();
    const port = await freePort();
    const file = dir.write(
      'interchange.yaml',
      demoConfigYaml((raw) => {
        (raw['sources'] as Record<string, unknown>[]).push(weatherSource(port));
        raw['reload'] = { retryMinMs: 50, retryMaxMs: 200 };
      }),
    );
    await using live = await createLiveGateway({ file, env: { ...process.env, ...demoEnv(backends) } });
    await using server = await listen(live.gateway, { port: 0, host: '127.0.0.1' });

    expect(live.gateway.current.missing.map((m) => m.name)).toEqual(['weather']);
    expect((await postQuery(server.url, '{ order(id: "1") { id } }')).body.data).toEqual({ order: { id: '1' } });
    const ready = await fetch(`${server.origin}/readyz`);
    expect(ready.status).toBe(200); // weather is not required
    const report = (await ready.json()) as { sources: { name: string; schema: string; reason?: string }[] };
    expect(report.sources.find((s) => s.name === 'weather')).toMatchObject({ schema: 'missing' });
    // /readyz answers anyone: why it did not load (here the endpoint it could not reach) is for the admin API.
    expect(JSON.stringify(report)).not.toContain(String(port));
    expect(JSON.stringify(report)).not.toContain('ECONNREFUSED');
    expect((await admin(server.origin, 'GET', 'status')).body['missingSources']).toEqual([{ name: 'weather', reason: expect.stringContaining('ECONNREFUSED') as unknown }]);

    // The backend comes up: the background retry loads it and swaps a generation in.
    await using weather = await startWeather(port);
    await eventually('the weather source', async () => (await postQuery(server.url, '{ weather(city: "Oslo") }')).body.data?.['weather'] === 'sunny in Oslo');
    expect(live.gateway.current.missing).toEqual([]);
    expect(live.lastOutcome).toMatchObject({ status: 'applied', trigger: 'retry' });
    expect(weather.count('Query.weather')).toBeGreaterThan(0);
  });

  it('when it is the only source: answers 503 NO_SOURCE_LOADED with Retry-After and is not ready, until it comes back', async () => {
    using dir = tempDir();
    const port = await freePort();
    const file = dir.write(
      'interchange.yaml',
      JSON.stringify({ sources: [weatherSource(port)], reload: { retryMinMs: 50, retryMaxMs: 200 } }), // JSON is YAML
    );
    await using live = await createLiveGateway({ file, env: process.env });
    await using server = await listen(live.gateway, { port: 0, host: '127.0.0.1' });
    expect(live.gateway.current.sources.size).toBe(0);

    // No schema to run on: a clear refusal, not a 500 "Unexpected error." from a schema without a Query type.
    const refused = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ weather(city: "Oslo") }' }) });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(await refused.json()).toEqual({
      errors: [{ message: 'No source has loaded yet (waiting for weather): the gateway retries them in the background', extensions: { code: 'NO_SOURCE_LOADED', sources: ['weather'] } }],
    });
    const notReady = await fetch(`${server.origin}/readyz`);
    expect(notReady.status).toBe(503);
    expect(((await notReady.json()) as { reasons: string[] }).reasons).toEqual(['no source has loaded yet']);

    await using weather = await startWeather(port);
    await eventually('the weather source', async () => (await postQuery(server.url, '{ weather(city: "Oslo") }')).body.data?.['weather'] === 'sunny in Oslo');
    expect((await fetch(`${server.origin}/readyz`)).status).toBe(200);
    expect(weather.count('Query.weather')).toBeGreaterThan(0);
  });

  it('starts from the snapshot of its schema when it was fetched once before', async () => {
    using dir = tempDir();
    await using backends = await startDemoBackends();
    const port = await freePort();
    const file = dir.write(
      'interchange.yaml',
      demoConfigYaml((raw) => {
        (raw['sources'] as Record<string, unknown>[]).push(weatherSource(port, { required: true }));
        raw['server'] = { ...(raw['server'] as object), readinessProbeMs: 60_000 };
      }),
    );
    const env = { ...process.env, ...demoEnv(backends) };
    {
      await using weather = await startWeather(port);
      await using first = await createLiveGateway({ file, env, watch: false });
      expect(first.gateway.current.origins.get('weather')).toBe('fetched');
      expect(weather.count('Query.weather')).toBe(0);
    }
    // The backend is down now; the schema comes from the snapshot written after the first load.
    await using live = await createLiveGateway({ file, env, watch: false });
    await using server = await listen(live.gateway, { port: 0, host: '127.0.0.1' });
    expect(live.gateway.current.origins.get('weather')).toBe('snapshot');
    expect(live.gateway.current.missing).toEqual([]);
    const answer = await postQuery(server.url, '{ weather(city: "Oslo") order(id: "1") { id } }');
    expect(answer.body.data).toEqual({ weather: null, order: { id: '1' } });
    expect(answer.body.errors?.[0]?.extensions?.['code']).toBe('SOURCE_UNAVAILABLE');
    // required: true and unreachable: not ready, and the body says why.
    const ready = await fetch(`${server.origin}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { reasons: string[] }).reasons).toEqual(['required source weather: no answer within 60000 ms']);
    await using weather = await startWeather(port);
    const again = await fetch(`${server.origin}/readyz`);
    expect(again.status).toBe(200);
    expect((await postQuery(server.url, '{ weather(city: "Oslo") }')).body.data).toEqual({ weather: 'sunny in Oslo' });
    expect(weather.count('Query.weather')).toBe(1);
  });

  it('serves the rest of the demo while the reviews source cannot be introspected', async () => {
    const backends = createInMemoryBackends();
    // Without its SDL file the reviews schema is introspected from http://reviews.test, which does not resolve (the load-time call is made for real).
    const config = demoConfig((raw) => delete rawSource(raw, 'reviews')['schema']);
    await expect(createGateway(config, { transportFor: backends.transportFor })).rejects.toMatchObject({ code: 'SPEC_INVALID' });
    await using gateway = await createGateway(config, { transportFor: backends.transportFor, tolerateMissing: () => true });
    expect(gateway.current.missing.map((m) => m.name)).toEqual(['reviews']);
    const response = await gateway.fetch('http://gateway/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: SEED_QUERY }) });
    expect(await response.json()).toEqual({ data: SEED_RESULT });
  });
});
