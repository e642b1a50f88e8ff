import { TransportError } from '../sources/types.js';

/**
 * How the resilience stages read a failure. One place, so the breaker, passive health, retries, stale serving
 * and fallbacks agree on what is the backend's fault.
 */

/** Backend trouble, as opposed to a request the backend refused (4xx): stale data or a fallback may stand in. */
export function isBackendFailure(error: unknown): error is TransportError {
  return error instanceof TransportError && error.failure !== 'rejected';
}

/**
 * Errors the gateway raises itself, to protect a backend or because the request ran out of time: they say
 * nothing new about the backend's health.
 */
function isSelfInflicted(error: TransportError): boolean {
  return error.code === 'CIRCUIT_OPEN' || error.code === 'SOURCE_OVERLOADED' || error.byBudget;
}

/**
 * A failure that counts against a backend's health and its breaker: it could not be reached, did not answer in
 * time, or answered 5xx / gRPC UNAVAILABLE. Never a 4xx, a bad body, or the client going away.
 */
export function countsAgainstBackend(error: unknown): boolean {
  return error instanceof TransportError && (error.failure === 'unavailable' || error.failure === 'timeout') && !isSelfInflicted(error);
}

/**
 * The same failure, marked as caused by the request's time budget when it is a timeout: an attempt whose
 * deadline the budget cut short timed out on the request's account, whoever noticed first (the transport or
 * the timeout stage).
 */
export function asBudgetTimeout(error: unknown): unknown {
  if (!(error instanceof TransportError) || error.failure !== 'timeout' || error.byBudget) return error;
  return new TransportError('timeout', error.message, error.details, {
    cause: error.cause,
    ...(error.code !== undefined ? { code: error.code } : {}),
    ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
    notSent: error.notSent,
    byBudget: true,
  });
}

/**
 * No answer from the backend either way: the gateway refused the call itself (breaker, overload), the request's
 * time budget ran out, or the client went away (an abort, not a TransportError). A breaker's half-open probe that
 * ends so has learnt nothing, and must not close the breaker as an answer would.
 */
export function saysNothingOfBackend(error: unknown): boolean {
  return !(error instanceof TransportError) || isSelfInflicted(error);
}

/** Worth another attempt: a backend failure as above, or an HTTP 429 (the backend asks us to come back later). */
export function isRetryable(error: unknown): boolean {
  return countsAgainstBackend(error) || (error instanceof TransportError && error.details['status'] === 429);
}
