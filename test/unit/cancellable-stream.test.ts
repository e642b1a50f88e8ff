import { describe, expect, it } from 'vitest';
import { cancellable } from '../../src/sources/graphql/subscriptions.js';

describe('a cancellable remote stream', () => {
  it('closes at once on return() while a read waits for an event that never comes', async () => {
    const steps: string[] = [];
    const stream = cancellable(async function* (signal) {
      try {
        yield 1;
        // A read of the remote's next event: it ends only when the signal aborts.
        await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
        yield 2;
      } catch (error) {
        steps.push(`read failed: ${(error as Error).name}`);
      } finally {
        steps.push('closed');
      }
    }, new AbortController().signal);
    expect(await stream.next()).toEqual({ done: false, value: 1 });
    const pending = stream.next();
    expect(await stream.return!()).toEqual({ done: true, value: undefined });
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(steps).toEqual(['read failed: AbortError', 'closed']);
  });

  it('closes when the client\'s signal aborts', async () => {
    const client = new AbortController();
    const stream = cancellable(async function* (signal) {
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      yield signal.aborted;
    }, client.signal);
    const pending = stream.next();
    client.abort();
    expect(await pending).toEqual({ done: false, value: true });
  });
});
