import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// By the package's own name, through `exports` in package.json, as a library user imports it.
import { ConfigInvalidError, ERROR_CODES, TransportError, createGateway, defineConfig, type PipelineStage, type Plugin, type Transport } from 'interchange';

const fixtures = join(import.meta.dirname, '..', 'fixtures');

/** The whoami backend in memory: answers with the user the gateway sent, or fails when told to. */
function whoami(fail = false): Transport {
  return {
    async call(_endpoint, _operation, _args, call) {
      if (fail) throw new TransportError('unavailable', 'connection refused');
      return { user: call.headers['x-user'] ?? 'anonymous' };
    },
    async [Symbol.asyncDispose]() {},
  };
}

describe('the public API', () => {
  const config = defineConfig(
    { sources: [{ name: 'whoami', kind: 'openapi', spec: 'whoami.openapi.yaml', endpoints: ['http://whoami.test'], forwardHeaders: ['x-user'] }] },
    { baseDir: fixtures },
  );

  it('composes a gateway in code: defineConfig, a yoga plugin and a pipeline stage of the user\'s own', async () => {
    const stageCalls: string[] = [];
    const countCalls: PipelineStage = {
      name: 'count-calls',
      before: 'cache',
      call: (context) => async (call, next) => {
        stageCalls.push(`${context.source.name}.${call.operation.fieldName}`);
        return next(call);
      },
    };
    const poweredBy: Plugin = {
      onResponse({ response }) {
        response.headers.set('x-powered-by', 'interchange');
      },
    };
    await using gateway = await createGateway(config, { plugins: [poweredBy], stages: [countCalls], transportFor: () => whoami() });
    const response = await gateway.fetch('http://gateway.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user': 'ada' },
      body: JSON.stringify({ query: '{ me { user } }' }),
    });
    expect(await response.json()).toEqual({ data: { me: { user: 'ada' } } });
    expect(response.headers.get('x-powered-by')).toBe('interchange');
    expect(stageCalls).toEqual(['whoami.me']);
    expect(gateway.current.sources.get('whoami')?.stages).toEqual(['metrics', 'error-mapping', 'count-calls', 'cache', 'breaker', 'backpressure', 'retry', 'timeout', 'replicas']);
  });

  it('answers a failed source with a registered error code', async () => {
    await using gateway = await createGateway(config, { transportFor: () => whoami(true) });
    const response = await gateway.fetch('http://gateway.test/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ me { user } }"}' });
    const body = (await response.json()) as { errors: { extensions: { code: keyof typeof ERROR_CODES } }[] };
    expect(body.errors[0]!.extensions.code).toBe('SOURCE_UNAVAILABLE');
    expect(ERROR_CODES[body.errors[0]!.extensions.code]).toBeTruthy();
  });

  it('validates a config written in code like a file, naming every problem', () => {
    let error: unknown;
    try {
      defineConfig({ sources: [{ name: 'whoami', kind: 'openapi', spec: 'missing.yaml', endpoints: ['not a url'] }] }, { baseDir: fixtures });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigInvalidError);
    expect((error as ConfigInvalidError).problems.map((p) => p.at)).toEqual(['sources[0].spec', 'sources[0].endpoints[0]']);
  });
});
