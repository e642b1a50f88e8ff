import { Writable } from 'node:stream';
import { pino } from 'pino';

/** A pino logger whose lines land in an array, parsed. */
export function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines, requests: () => lines.filter((l) => l['msg'] === 'request') };
}
