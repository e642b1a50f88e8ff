import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { sameToken } from '../../src/admin/use-admin.js';
import { createLogger } from '../../src/observability/logger.js';
import { createInMemoryDemo, rawSource } from '../helpers/in-memory-demo.js';
import { hs256Auth, makeToken } from '../helpers/tokens.js';

const ADMIN_TOKEN = 'admin-token-0123456789';
const METRICS_TOKEN = 'metrics-token-0123456789';

describe('admin and metrics access', () => {
  it('compares tokens whatever their length, without a shortcut', () => {
    expect(sameToken(ADMIN_TOKEN, ADMIN_TOKEN)).toBe(true);
    expect(sameToken('admin', ADMIN_TOKEN)).toBe(false);
    expect(sameToken(`${ADMIN_TOKEN}x`, ADMIN_TOKEN)).toBe(false);
    expect(sameToken('', ADMIN_TOKEN)).toBe(false);
  });

  it('asks for admin.metricsToken on /metrics when it is set', async () => {
    await using demo = await createInMemoryDemo({ edit: (raw) => void (raw['admin'] = { metricsToken: METRICS_TOKEN }) });
    const scrape = (headers: Record<string, string> = {}) => demo.gateway.fetch('http://gateway.test/metrics', { headers });
    expect((await scrape()).status).toBe(401);
    expect((await scrape({ authorization: 'Bearer wrong-token-0123456789' })).status).toBe(401);
    const ok = await scrape({ authorization: `Bearer ${METRICS_TOKEN}` });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toMatch(/interchange_source_call_duration_seconds/);
  });

  it('never writes a token to the log, even at debug level', async () => {
    let logged = '';
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logged += chunk.toString();
        done();
      },
    });
    const logger = createLogger({ level: 'debug', destination });
    await using demo = await createInMemoryDemo({
      gateway: { logger },
      edit: (raw) => {
        raw['auth'] = hs256Auth();
        raw['admin'] = { token: ADMIN_TOKEN, metricsToken: METRICS_TOKEN };
        raw['abuse'] = { probingMinFailures: 3 };
        Object.assign(rawSource(raw, 'inventory'), { auth: { scopes: ['nope'] }, forwardHeaders: ['authorization'] });
      },
    });
    const good = await makeToken({ sub: 'alice' });
    const expired = await makeToken({ sub: 'alice' }, { expiresIn: -100 });
    await demo.query('{ order(id: "1") { id products { id } } }', { headers: { authorization: `Bearer ${good}` } });
    for (let i = 0; i < 4; i++) await demo.query('{ __typename }', { headers: { authorization: `Bearer ${expired}` } });
    await demo.gateway.fetch('http://gateway.test/admin/api/status', { headers: { authorization: 'Bearer wrong-admin-token-xyz' } });
    await demo.gateway.fetch('http://gateway.test/admin/api/status', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    await demo.gateway.fetch('http://gateway.test/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(logged).toMatch(/throttled/); // something was logged: the probing client
    expect(logged).toMatch(/"user":"alice"/); // the request log names the verified subject, not the token
    for (const secret of [good, expired, ADMIN_TOKEN, METRICS_TOKEN, 'wrong-admin-token-xyz', good.split('.')[2]!]) expect(logged).not.toContain(secret);
  });
});
