import type { Plugin } from 'graphql-yoga';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { createGatewayError } from '../errors.js';
import { requestStateOf, type Caller } from '../request/state.js';
import type { AbuseDetector, AbuseEvent, AbuseSettings } from './abuse-detector.js';
import { charge } from './rate-limiters.js';

export interface AbuseDetectionSettings extends AbuseSettings {
  /** Requests a throttled client may make per `throttledWindowSeconds`. */
  readonly throttledPoints: number;
  readonly throttledWindowSeconds: number;
}

export interface AbuseDetectionOptions {
  detector: AbuseDetector;
  /** `abuse` of the request's generation. */
  settings: (request: Request) => AbuseDetectionSettings;
  /** A client was just throttled: log, count, POST to the webhook. */
  onThrottled: (event: AbuseEvent, request: Request) => void;
  /** A throttled client's request was refused (429): `interchange_rate_limited_total{rule="abuse"}`. Default none. */
  onLimited?: (request: Request) => void;
  /** The GraphQL endpoint's path: only its requests are watched. Default `/graphql`. */
  endpoint?: string;
  /**
   * The counter of a throttled client's `throttledPoints` per `throttledWindowSeconds`, the same limiter for the
   * same pair (`RateLimiters.throttleLimiterFor`: in memory, or the primary's with workers, so the budget is the
   * machine's).
   */
  throttleLimiter: (points: number, windowSeconds: number) => RateLimiterAbstract;
}

/** Statuses that count as failures for probing: invalid requests and queries, refused tokens. */
const FAILED = new Set([400, 401, 403, 405, 413, 415]);

/**
 * Error codes that count as failures whatever the status: a legacy `Accept: application/json` client gets 200
 * for an invalid query, and a FORBIDDEN or field-level UNAUTHENTICATED field is always 200. Not BAD_REQUEST:
 * APQ's PersistedQueryNotFound is a normal first step of its protocol (other BAD_REQUESTs have a 4xx status).
 */
const FAILED_CODES = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT', 'OPERATION_RESOLUTION_FAILURE', 'QUERY_TOO_COMPLEX', 'UNAUTHENTICATED', 'FORBIDDEN']);

/** Whether a result (or any result of a batch) carries an error whose code says the client probed. */
function hasFailedCode(result: unknown): boolean {
  for (const one of Array.isArray(result) ? result : [result]) {
    const errors = (one as { errors?: readonly { extensions?: { code?: unknown } }[] } | null)?.errors;
    if (Array.isArray(errors) && errors.some((error) => FAILED_CODES.has(String(error.extensions?.code)))) return true;
  }
  return false;
}

/** The path of an absolute URL, without parsing all of it (this runs for every response). */
function pathOf(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2);
  if (start < 0) return '/';
  const end = url.search(/[?#]/);
  return url.slice(start, end < 0 ? undefined : end);
}

function clientsOf(caller: Caller): string[] {
  return caller.identity?.subject ? [`ip:${caller.ip}`, `user:${caller.identity.subject}`] : [`ip:${caller.ip}`];
}

/**
 * Abnormal-behaviour detection (see `createAbuseDetector` for the rule): every finished request is counted for
 * its IP and, when known, its user; a throttled client may then make only `throttledPoints` requests per
 * `throttledWindowSeconds` until its cool-down ends, answered 429 RATE_LIMITED with `extensions.reason:
 * "abnormal_behaviour"` beyond that.
 */
export function useAbuseDetection(options: AbuseDetectionOptions): Plugin {
  const endpoint = options.endpoint ?? '/graphql';
  /** Requests whose result said they failed, whatever their status. */
  const failedResults = new WeakSet<Request>();
  const throttleLimiter = (settings: AbuseDetectionSettings) => options.throttleLimiter(settings.throttledPoints, settings.throttledWindowSeconds);

  return {
    // Not async: only a throttled client waits for its throttle's counter.
    onParams({ request }) {
      const settings = options.settings(request);
      const caller = requestStateOf({ request }).caller;
      if (!settings.enabled || !caller) return undefined;
      const throttled = clientsOf(caller).flatMap((client) => {
        const throttle = options.detector.throttled(client);
        return throttle ? [{ client, throttle }] : [];
      });
      if (throttled.length === 0) return undefined;
      return (async () => {
        for (const { client, throttle } of throttled) {
          const rule = { by: 'ip' as const, points: settings.throttledPoints, windowSeconds: settings.throttledWindowSeconds, cost: false };
          const result = await charge(throttleLimiter(settings), rule, client, 1);
          if (!result?.limited) continue;
          const retryAfter = Math.max(1, Math.ceil(result.resetMs / 1000));
          options.onLimited?.(request);
          throw createGatewayError('RATE_LIMITED', `Throttled after abnormal behaviour (${throttle.kind}) until ${new Date(throttle.until).toISOString()}: ${settings.throttledPoints} requests per ${settings.throttledWindowSeconds} s; retry in ${retryAfter} s`, {
            httpStatus: 429,
            httpHeaders: { 'Retry-After': String(retryAfter) },
            extensions: { reason: 'abnormal_behaviour', kind: throttle.kind, until: new Date(throttle.until).toISOString(), retryAfter },
          });
        }
      })();
    },
    onResultProcess({ request, result }) {
      if (result !== null && typeof result === 'object' && Symbol.asyncIterator in result) return;
      if (hasFailedCode(result)) failedResults.add(request);
    },
    onResponse({ request, response }) {
      const caller = requestStateOf({ request }).caller;
      if (!caller || pathOf(request.url) !== endpoint) return;
      const settings = options.settings(request);
      if (!settings.enabled) return;
      const failed = FAILED.has(response.status) || failedResults.has(request);
      for (const client of clientsOf(caller)) {
        const event = options.detector.record(client, failed, settings);
        if (event) options.onThrottled(event, request);
      }
    },
  };
}
