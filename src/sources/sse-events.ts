/** One `text/event-stream` event: its `event:` name and its `data:` lines joined. */
export interface SseEvent {
  readonly event: string;
  readonly data: string;
}

/**
 * Reads server-sent events as they arrive (events end with a blank line; comments and heartbeats are skipped),
 * from a Fetch body or a Node stream (an undici response body). Shared by the graphql-ws relay (server/) and the
 * remote GraphQL source's SSE subscriptions, hence its place in the lower layer.
 */
export async function* readSseEvents(body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of body as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(chunk, { stream: true }).replace(/\r\n/g, '\n');
    let end: number;
    while ((end = buffered.indexOf('\n\n')) >= 0) {
      const lines = buffered.slice(0, end).split('\n');
      buffered = buffered.slice(end + 2);
      const event = lines.find((line) => line.startsWith('event:'))?.slice(6).trim() ?? '';
      const data = lines.filter((line) => line.startsWith('data:')).map((line) => line.slice(5).trim()).join('\n');
      if (event !== '' || data !== '') yield { event, data };
    }
  }
}
