import { expect } from 'vitest';
import { readSseEvents } from '../../src/sources/sse-events.js';

/** Reads `count` `next` events of an SSE subscription response, then goes away (aborts the request). */
export async function takeThenLeave(response: Response, count: number, controller: AbortController): Promise<unknown[]> {
  const received: unknown[] = [];
  try {
    for await (const event of readSseEvents(response.body!)) {
      if (event.event !== 'next') continue;
      received.push(JSON.parse(event.data));
      if (received.length === count) controller.abort();
    }
  } catch (error) {
    expect(controller.signal.aborted).toBe(true);
    expect(error).toMatchObject({ name: 'AbortError' });
  }
  return received;
}
