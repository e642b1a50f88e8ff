import { describe, expect, it } from 'vitest';
import { demoConfig, demoConfigProblems as problemsOf, rawSource } from '../helpers/in-memory-demo.js';

describe('access-layer config', () => {
  it('fills the documented defaults', () => {
    const config = demoConfig();
    expect(config.auth).toEqual({ default: 'public', realm: 'interchange' });
    expect(config.rateLimits).toEqual([]);
    expect(config.rateLimitStore).toBe('memory');
    expect(config.server).toMatchObject({ cors: { origins: [], credentials: false, maxAgeSeconds: 600 }, csrfPrevention: true, introspection: true, trustProxy: false, persistedQueries: false });
    expect(config.limits).toMatchObject({ maxBodyBytes: 1_000_000, maxBatch: 0, maxVariablesBytes: 65_536, maxIntrospectionDepth: 20, queryCost: { max: 20_000, defaultListSize: 20 } });
    expect(config.abuse).toMatchObject({ enabled: true, intervalSeconds: 10, burstFactor: 10, coolDownSeconds: 300 });
    expect(config.audit).toEqual({ destination: 'stdout', maxSizeMb: 100, maxFiles: 10, redact: [] });
  });

  it('reports every problem at once, each at its key', () => {
    const problems = problemsOf((raw) => {
      raw['server'] = { ...(raw['server'] as object), cors: { origins: ['app.example', '*'], credentials: true }, trustedDocuments: './nope.json' };
      raw['auth'] = { jwt: { jwks: 'https://idp.example/jwks.json', algorithms: ['HS256'] }, default: 'sometimes' };
      raw['rateLimits'] = [{ by: 'planet', points: 1, windowSeconds: 1 }, { by: 'ip', points: 1 }];
      raw['abuse'] = { burstFactor: 0.5, webhook: 'not a url' };
      raw['rateLimitStore'] = 'mongodb://x';
      rawSource(raw, 'inventory')['claimsToHeaders'] = { sub: 'x user' };
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^server\.cors\.origins\[0\]: must be an origin like https:\/\/app\.example/),
        expect.stringMatching(/^auth\.default: /),
        expect.stringMatching(/^rateLimits\[0\]/),
        expect.stringMatching(/^rateLimits\[1\]\.windowSeconds: /),
        expect.stringMatching(/^abuse\.burstFactor: /),
        expect.stringMatching(/^abuse\.webhook: /),
        expect.stringMatching(/^rateLimitStore: must be "memory" or a redis:\/\/ URL/),
        expect.stringMatching(/^sources\[0\]\.claimsToHeaders\.sub: must be an HTTP header name/),
      ]),
    );
  });

  it('checks what the schema cannot: files, algorithms for the key kind, credentials with *', () => {
    expect(problemsOf((raw) => void (raw['server'] = { ...(raw['server'] as object), trustedDocuments: './nope.json' }))).toEqual([expect.stringMatching(/^server\.trustedDocuments: file not found/)]);
    expect(problemsOf((raw) => void (raw['auth'] = { jwt: { jwks: 'https://idp.example/jwks.json', algorithms: ['HS256'] } }))).toEqual([expect.stringMatching(/^auth\.jwt\.algorithms: a JWKS verifies only asymmetric/)]);
    expect(problemsOf((raw) => void (raw['auth'] = { jwt: { jwks: './missing-jwks.json' } }))).toEqual([expect.stringMatching(/^auth\.jwt\.jwks: file not found/)]);
    expect(problemsOf((raw) => void (raw['server'] = { ...(raw['server'] as object), cors: { origins: ['*'], credentials: true } }))).toEqual([expect.stringMatching(/^server\.cors\.credentials: credentials are never sent to any origin/)]);
    expect(problemsOf((raw) => void (raw['auth'] = { default: 'authenticated' }))).toEqual([expect.stringMatching(/^auth\.default: "authenticated" needs auth\.jwt/)]);
  });
});
