import { describe, expect, it } from 'vitest';
import { createInMemoryDemo, demoConfigProblems, rawSource, until } from '../helpers/in-memory-demo.js';
import { hs256Auth, makeToken } from '../helpers/tokens.js';

/**
 * `route` rules pin a request to a traffic group (finding 13): by a request header or a claim of the verified
 * token. A pinned call's answer is neither shared with nor served to a call of another group, by the in-flight
 * de-duplication or by the cache.
 */
const STABLE = 'http://stable.test';
const CANARY = 'http://canary.test';
const SHIPMENT = '{ shipmentByOrder(orderId: "1") { status } }';

function canaryLogistics(route: unknown[], extra: Record<string, unknown> = {}) {
  return (raw: Record<string, unknown>) =>
    void Object.assign(rawSource(raw, 'logistics'), { endpoints: [STABLE, { url: CANARY, group: 'canary' }], groups: { default: 100 }, route, ...extra });
}

describe('route pinning, de-duplication and the cache', () => {
  it('a call pinned to the canary never joins a stable call in flight, nor the reverse', async () => {
    await using demo = await createInMemoryDemo({ edit: canaryLogistics([{ header: 'x-canary', equals: '1', group: 'canary' }]) });
    const release = demo.backends.hold('logistics.shipmentByOrder');
    const stable = demo.query(SHIPMENT);
    await until(() => demo.backends.count('logistics.shipmentByOrder') === 1);
    const canary = demo.query(SHIPMENT, { headers: { 'x-canary': '1' } });
    await until(() => demo.backends.count('logistics.shipmentByOrder') === 2);
    const another = demo.query(SHIPMENT); // joins the stable call
    release();
    await Promise.all([stable, canary, another]);
    expect(demo.backends.calls.map((c) => c.endpoint)).toEqual([STABLE, CANARY]);
  });

  it('a call pinned to the canary is not answered from the stable group\'s cache entry', async () => {
    await using demo = await createInMemoryDemo({ edit: canaryLogistics([{ header: 'x-canary', equals: '1', group: 'canary' }], { cache: { ttl: 60 } }) });
    await demo.query(SHIPMENT);
    await demo.query(SHIPMENT, { headers: { 'x-canary': '1' } });
    await demo.query(SHIPMENT, { headers: { 'x-canary': '1' } }); // the canary's own entry
    await demo.query(SHIPMENT); // the stable one
    expect(demo.backends.calls.map((c) => c.endpoint)).toEqual([STABLE, CANARY]);
  });
});

describe('route rules on a verified claim', () => {
  it('pins a caller by a claim of its token: a value, or one item of a list claim; anyone else goes by weight', async () => {
    await using demo = await createInMemoryDemo({
      edit: (raw) => {
        raw['auth'] = hs256Auth();
        canaryLogistics([
          { claim: 'tenant', equals: 'beta', group: 'canary' },
          { claim: 'groups', equals: 'early-adopters', group: 'canary' },
        ])(raw);
      },
    });
    const as = async (claims: Record<string, unknown>) => ({ authorization: `Bearer ${await makeToken({ sub: 'u', ...claims })}` });
    for (const headers of [await as({ tenant: 'beta' }), await as({ groups: ['staff', 'early-adopters'] }), await as({ tenant: 'acme' }), {}]) {
      expect((await demo.query(SHIPMENT, { headers })).body.errors).toBeUndefined();
    }
    expect(demo.backends.calls.map((c) => c.endpoint)).toEqual([CANARY, CANARY, STABLE, STABLE]);
  });

  it('is a config problem without auth.jwt, or with both or neither of header and claim', () => {
    expect(demoConfigProblems(canaryLogistics([{ claim: 'tenant', equals: 'beta', group: 'canary' }]))).toEqual([expect.stringMatching(/^sources\[1\]\.route\[0\]\.claim: needs auth\.jwt/)]);
    expect(demoConfigProblems(canaryLogistics([{ header: 'x-canary', claim: 'tenant', equals: 'beta', group: 'canary' }]))).toEqual([expect.stringMatching(/^sources\[1\]\.route\[0\]: needs either `header` or `claim`/)]);
    expect(demoConfigProblems(canaryLogistics([{ equals: 'beta', group: 'canary' }]))).toEqual([expect.stringMatching(/^sources\[1\]\.route\[0\]: needs either `header` or `claim`/)]);
  });
});
