import { basename, dirname } from 'node:path';
import { pino, type Logger } from 'pino';

/** `audit:` as the log reads it (read at start: a reload does not move the file). */
export interface AuditSettings {
  /** `stdout` or an absolute file path. */
  readonly destination: string;
  readonly maxSizeMb: number;
  readonly maxFiles: number;
  /** pino redaction paths into each line, e.g. `variables.input.password`. */
  readonly redact: readonly string[];
}

/**
 * One audit line: one call of an audited source or operation.
 *   time         ISO 8601, when the call finished
 *   requestId    `x-request-id` of the request (or a generated UUID)
 *   user         the verified token's `sub`, or null for an anonymous caller
 *   clientIp     the client's address (see `server.trustProxy`)
 *   operationName, documentHash (SHA-256 hex of the document text)
 *   source, operation (the field name), args (the call's arguments), variables (the request's)
 *   outcome      ok, hit (from cache), stale, or the error code (FORBIDDEN, SOURCE_UNAVAILABLE, ...)
 *   latencyMs    the call's duration
 */
export interface AuditEntry {
  readonly requestId: string;
  readonly user: string | null;
  readonly clientIp: string;
  readonly operationName: string | null;
  readonly documentHash: string | null;
  readonly source: string;
  readonly operation: string;
  readonly args: unknown;
  readonly variables: unknown;
  readonly outcome: string;
  readonly latencyMs: number;
}

export interface AuditLog extends AsyncDisposable {
  /** Queues one line; never waits for the disk. */
  write(entry: AuditEntry): void;
}

/**
 * The audit log: pino writing to stdout through its asynchronous SonicBoom destination, or to a file through
 * rotating-file-stream (a Node stream, so writes are buffered, never waited for), which rotates it by size into
 * `<file>.1`, `<file>.2`, ... keeping `maxFiles`. (pino-roll, pino's own rotating destination, only rolls on a
 * SonicBoom 'drain', which steady light traffic never causes.) The destination is opened on the first line, so a
 * gateway with nothing audited opens nothing.
 */
export function createAuditLog(settings: AuditSettings, onError: (error: unknown) => void): AuditLog {
  let ready: Promise<{ log: Logger; stream: NodeJS.WritableStream }> | undefined;
  const open = () =>
    (ready ??= (async () => {
      const stream: NodeJS.WritableStream = settings.destination === 'stdout' ? (pino.destination({ dest: 1, sync: false }) as never) : await rotatingFile(settings);
      stream.on('error', onError);
      const log = pino({ base: null, messageKey: 'event', timestamp: pino.stdTimeFunctions.isoTime, redact: { paths: [...settings.redact], censor: '[Redacted]' } }, stream);
      return { log, stream };
    })());
  return {
    write(entry) {
      open().then(({ log }) => log.info(entry, 'source_call'), onError);
    },
    async [Symbol.asyncDispose]() {
      if (!ready) return;
      const { stream } = await ready.catch(() => ({ stream: undefined }));
      if (!stream || stream === process.stdout) return;
      await new Promise<void>((resolve) => {
        stream.once('finish', () => resolve());
        stream.once('error', () => resolve());
        stream.end();
      });
    },
  };
}

async function rotatingFile(settings: AuditSettings): Promise<NodeJS.WritableStream> {
  const { createStream } = await import('rotating-file-stream');
  const file = basename(settings.destination);
  return createStream((time: number | Date | null, index?: number) => (time === null ? file : `${file}.${index ?? 1}`), {
    path: dirname(settings.destination),
    size: `${Math.max(1, Math.round(settings.maxSizeMb * 1024))}K`,
    maxFiles: settings.maxFiles,
  });
}
