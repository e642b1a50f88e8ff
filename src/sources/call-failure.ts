import { TransportError } from './types.js';

/**
 * The abort reason the pipeline uses when a call's deadline passes (`name === 'TimeoutError'`, as
 * `AbortSignal.timeout` makes). Any other reason means the client went away.
 */
export function isDeadlineReason(reason: unknown): boolean {
  return (reason instanceof Error || reason instanceof DOMException) && reason.name === 'TimeoutError';
}

/** undici's own deadlines (connect, headers, body) are timeouts too, not a down backend. */
const UNDICI_TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/**
 * undici refuses these before it dispatches anything (a header value it cannot write, an option it does not
 * support): the call's fault, never the backend's, so they must count against no breaker or health.
 */
const UNDICI_NOT_SENT_CODES = new Set(['UND_ERR_INVALID_ARG', 'UND_ERR_NOT_SUPPORTED']);

/**
 * What a failed HTTP call (undici) rejects with, for every HTTP-based transport: our own TransportErrors as
 * they are; when the signal was aborted, a `timeout` for a deadline and the abort reason itself otherwise;
 * undici's timeouts as `timeout`; a call undici refused to send as `rejected` (SOURCE_REJECTED); anything else
 * (refused, reset, DNS) as `unavailable`.
 */
export function httpCallFailure(error: unknown, label: string, signal: AbortSignal): unknown {
  if (error instanceof TransportError) return error;
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    if (reason instanceof TransportError) return reason;
    return isDeadlineReason(reason) ? new TransportError('timeout', `${label} did not answer in time`, {}, { cause: reason }) : reason;
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && UNDICI_TIMEOUT_CODES.has(code)) return new TransportError('timeout', `${label} did not answer in time (${code})`, {}, { cause: error });
  if (typeof code === 'string' && UNDICI_NOT_SENT_CODES.has(code)) {
    const why = error instanceof Error ? `: ${error.message}` : '';
    return new TransportError('rejected', `${label}: the call could not be sent (${code}${why})`, {}, { cause: error, code: 'SOURCE_REJECTED', notSent: true });
  }
  const reason = typeof code === 'string' ? code : withoutAddresses(error instanceof Error ? error.message : String(error));
  return new TransportError('unavailable', `${label} could not be reached (${reason})`, {}, { cause: error, notSent: code === 'ECONNREFUSED' });
}

/**
 * `text` without the addresses in it (URLs, `host:port`, IP addresses), for messages clients see: an error a
 * library or a peer wrote often names the internal endpoint (`connect ECONNREFUSED 10.0.3.7:8080`). The full text
 * stays in the error's `cause`, for the logs.
 */
export function withoutAddresses(text: string): string {
  return text
    .replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s,;)'"]+/gi, '<endpoint>')
    .replace(/\[[0-9a-f:.]+\](?::\d+)?/gi, '<address>')
    .replace(/\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b/g, '<address>')
    .replace(/(?<![\w.:-])(?:[0-9a-f]{0,4}:){2,8}[0-9a-f]{0,4}(?![\w.:-])/gi, (match) => (match.includes('::') || match.split(':').length > 5 ? '<address>' : match))
    .replace(/\b(?:[a-z0-9-]+\.)*[a-z][a-z0-9-]*:\d{2,5}\b/gi, '<address>')
    .replace(/\b(ENOTFOUND|EAI_AGAIN)\s+[^\s,;)]+/g, '$1 <host>');
}

/** A header value that can be sent as it is: tab, space and visible ASCII (no CR or LF, nothing beyond ASCII). */
export function isPlainHeaderValue(text: string): boolean {
  return /^[\t\x20-\x7e]*$/.test(text);
}

/**
 * `Retry-After` (RFC 9110: delay-seconds or an HTTP-date) as milliseconds from `now`; undefined when absent or
 * unreadable.
 */
export function retryAfterMs(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The header that tells an HTTP backend how long the gateway will wait for it (the call's deadline, in ms). */
export const REQUEST_TIMEOUT_HEADER = 'x-request-timeout-ms';

/** `{ 'x-request-timeout-ms': ms left }` when the call has a deadline, else nothing. */
export function deadlineHeader(deadline: number | undefined, now = Date.now()): Record<string, string> {
  return deadline === undefined ? {} : { [REQUEST_TIMEOUT_HEADER]: String(Math.max(0, Math.round(deadline - now))) };
}
