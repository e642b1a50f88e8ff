/** One `text/event-stream` event: its `event:` name and its `data:` lines joined. */
export interface SseEvent {
  readonly event: string;
  readonly data: string;
}

/** Reads server-sent events as they arrive (events end with a blank line; comments and heartbeats are skipped). */
export async function* readSseEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let buffered = '';
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    buffered += decoder.decode(chunk.value, { stream: true });
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
