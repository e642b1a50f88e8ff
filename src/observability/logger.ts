import { pino, type Logger } from 'pino';

export type { Logger };

/** Level from `LOG_LEVEL` (default `info`); nothing is logged per request at info, so the hot path stays quiet. */
export function createLogger(options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const level = options.level ?? process.env['LOG_LEVEL'] ?? 'info';
  return options.destination ? pino({ level, base: { service: 'interchange' } }, options.destination as pino.DestinationStream) : pino({ level, base: { service: 'interchange' } });
}

/** A logger that drops everything: the default for library use and tests. */
export const silentLogger: Logger = pino({ level: 'silent' });
