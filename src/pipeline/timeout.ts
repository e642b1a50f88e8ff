import { TransportError } from '../sources/types.js';
import { linkedAbortController } from './linked-abort.js';
import type { PipelineStage } from './stage.js';
import type { SourceCall, Stage } from './types.js';

/** `timeoutMs` per call, by default 10 s: no backend call may wait forever. */
export interface TimeoutOptions {
  /** Milliseconds for one attempt at the backend (the retry slot is outside this stage). */
  timeoutMs: (call: SourceCall) => number;
}

/** The abort reason transports recognise as a deadline (`isDeadlineReason` in sources/call-failure.ts). */
function timeoutReason(ms: number): DOMException {
  return new DOMException(`no answer within ${ms} ms`, 'TimeoutError');
}

/**
 * Races the rest of the pipeline against a deadline and aborts it when the deadline passes.
 * Rejects at the deadline even if a transport ignores the signal, so a hung backend can never hang a request.
 * A plain setTimeout (not AbortSignal.timeout) so fake timers in tests control it.
 *
 * The call's signal below follows the client's through `linkedAbortController`: one listener on the request's
 * signal for all its calls (see there why neither a listener per call nor `AbortSignal.any`).
 */
export function createTimeoutStage(options: TimeoutOptions): Stage {
  return function timeoutStage(call, next) {
    const own = options.timeoutMs(call);
    // The request's budget (`server.requestTimeoutMs`) caps every call: min(its timeout, what is left).
    const left = call.requestDeadline === undefined ? Infinity : Math.floor(call.requestDeadline - Date.now());
    // A timeout of the request's budget is the request's, not the backend's: marked so that neither the
    // breakers nor passive health count it (a slow source would otherwise open a healthy one's breaker).
    if (left <= 0) {
      return Promise.reject(new TransportError('timeout', `the request's time budget is spent`, { timeoutMs: 0 }, { byBudget: true }));
    }
    const ms = Math.min(own, left);
    const byBudget = left < own;
    const { controller, unlink } = linkedAbortController(call.signal);
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(function deadlinePassed() {
        controller.abort(timeoutReason(ms));
        const message = byBudget ? `the request's time budget ran out after ${ms} ms` : `${call.source} did not answer within ${ms} ms`;
        reject(new TransportError('timeout', message, { timeoutMs: ms }, { byBudget }));
      }, ms);
      next({ ...call, signal: controller.signal, deadline: Date.now() + ms, ...(byBudget ? { deadlineByBudget: true } : {}) })
        .then(resolve, reject)
        .finally(() => {
          clearTimeout(timer);
          unlink();
        });
    });
  };
}

/** Default milliseconds a backend call may take. */
export const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * `operations.<field>.timeoutMs` ▸ the source's `timeoutMs` ▸ 10 s. Streams have no timeout: they live as long
 * as the client keeps them.
 */
export const timeoutStage: PipelineStage = {
  name: 'timeout',
  call({ source }) {
    return createTimeoutStage({ timeoutMs: (call) => source.operations?.[call.operation.fieldName]?.timeoutMs ?? source.timeoutMs ?? DEFAULT_TIMEOUT_MS });
  },
};
