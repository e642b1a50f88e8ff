import { describe, expect, it } from 'vitest';
import { callerScopeKey, claimHeaders } from '../../src/request/caller.js';
import { requestStateOf, type RequestState } from '../../src/request/state.js';
import { createInMemoryDemo, demoConfigProblems, rawSource, until } from '../helpers/in-memory-demo.js';

function stateWith(headers: Record<string, string>, identity?: { subject: string; issuer?: string }): RequestState {
  const state = requestStateOf({ request: new Request('http://g/graphql', { headers }) });
  if (identity) state.caller = { ip: '127.0.0.1', requestId: 'r', identity: { ...identity, claims: {}, scopes: new Set() } };
  return state;
}

describe('the caller scope key', () => {
  it('separates callers by every header value the source is sent, not only by credentials', () => {
    const a = callerScopeKey(stateWith({}), { 'x-tenant-id': 'a' });
    const b = callerScopeKey(stateWith({}), { 'x-tenant-id': 'b' });
    expect(a).not.toBe(b);
    expect(a).not.toBe('');
    expect(callerScopeKey(stateWith({}), {})).toBe('');
    // Header order does not matter; the value is hashed, never written as is.
    expect(callerScopeKey(stateWith({}), { 'x-a': '1', 'x-b': '2' })).toBe(callerScopeKey(stateWith({}), { 'x-b': '2', 'x-a': '1' }));
    expect(callerScopeKey(stateWith({}), { authorization: 'Bearer secret-token' })).not.toContain('secret');
  });

  it('uses the verified subject when there is one: two tokens of one user share entries, two users never do', () => {
    const alice1 = callerScopeKey(stateWith({ authorization: 'Bearer t1' }, { subject: 'alice', issuer: 'idp' }));
    const alice2 = callerScopeKey(stateWith({ authorization: 'Bearer t2' }, { subject: 'alice', issuer: 'idp' }));
    const bob = callerScopeKey(stateWith({ authorization: 'Bearer t1' }, { subject: 'bob', issuer: 'idp' }));
    expect(alice1).toBe(alice2);
    expect(alice1).not.toBe(bob);
    expect(callerScopeKey(stateWith({}, { subject: 'alice', issuer: 'other-idp' }))).not.toBe(alice1);
  });

  it('maps claims to headers: strings as they are, lists joined, missing claims left out', () => {
    const identity = { subject: 'u1', claims: { sub: 'u1', roles: ['a', 'b'], n: 3, nested: { x: 1 } }, scopes: new Set<string>() };
    expect(claimHeaders(identity, { sub: 'x-user-id', roles: 'x-roles', n: 'x-n', nested: 'x-nested', absent: 'x-absent' })).toEqual({
      'x-user-id': 'u1',
      'x-roles': 'a,b',
      'x-n': '3',
      'x-nested': '{"x":1}',
    });
    expect(claimHeaders(undefined, { sub: 'x-user-id' })).toEqual({});
  });
});

describe('forwarded headers and the cache (regression: tenant b was served tenant a\'s cached answer)', () => {
  const tenantEcho = (raw: Record<string, unknown>) => {
    raw['cache'] = { ttl: 60 };
    rawSource(raw, 'inventory')['forwardHeaders'] = ['x-tenant-id'];
  };
  const query = '{ product(id: "p1") { id name } }';

  it('keeps a cached answer to the tenant it was made for', async () => {
    await using demo = await createInMemoryDemo({ edit: tenantEcho });
    demo.backends.answer('inventory.product', (_args, call) => ({ id: 'p1', name: `for ${call.headers['x-tenant-id']}` }));
    const ask = async (tenant: string) => (await demo.query(query, { headers: { 'x-tenant-id': tenant } })).body.data;
    expect(await ask('a')).toEqual({ product: { id: 'p1', name: 'for a' } });
    expect(await ask('b')).toEqual({ product: { id: 'p1', name: 'for b' } });
    expect(await ask('a')).toEqual({ product: { id: 'p1', name: 'for a' } });
    expect(demo.backends.count('inventory.product')).toBe(2); // a's second answer came from the cache
  });

  it('never shares an in-flight call between tenants, even for concurrent identical requests', async () => {
    await using demo = await createInMemoryDemo({ edit: tenantEcho });
    demo.backends.answer('inventory.product', (_args, call) => ({ id: 'p1', name: `for ${call.headers['x-tenant-id']}` }));
    const release = demo.backends.hold('inventory.product');
    const answers = ['a', 'b', 'a'].map((tenant) => demo.query(query, { headers: { 'x-tenant-id': tenant } }));
    // Tenant a's two requests share one call; tenant b makes its own.
    await until(() => demo.backends.count('inventory.product') === 2, 'one call per tenant');
    release();
    const names = (await Promise.all(answers)).map((a) => (a.body.data as { product: { name: string } }).product.name);
    expect(names).toEqual(['for a', 'for b', 'for a']);
    expect(demo.backends.count('inventory.product')).toBe(2);
  });

  it('refuses at config load a public cache scope where caller-specific headers are forwarded', () => {
    const problems = demoConfigProblems;
    expect(problems((raw) => Object.assign(rawSource(raw, 'inventory'), { forwardHeaders: ['x-tenant-id'], cache: { scope: 'public' } }))).toEqual([
      expect.stringMatching(/^sources\[0\]\.cache\.scope: public cache entries are shared by every caller, but this source sends caller-specific values \(forwardHeaders x-tenant-id\)/),
    ]);
    expect(problems((raw) => {
      raw['cache'] = { scope: 'public' };
      rawSource(raw, 'inventory')['forwardHeaders'] = ['authorization'];
    })).toEqual([expect.stringMatching(/^sources\[0\]: cache\.scope is public/)]);
    // Nothing forwarded: a public scope is fine.
    expect(problems((raw) => void (raw['cache'] = { scope: 'public' }))).toEqual([]);
  });
});
