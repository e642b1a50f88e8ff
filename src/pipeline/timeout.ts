import { TransportError } from '../sources/types.js';
import type { SourceCall, Stage } from './types.js';

/** `timeoutMs` per call, by default 10 s: no backend call may wait forever. */
export interface TimeoutOptions {
  /** Milliseconds for one call, attempt retries included. */
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
 */
export function createTimeoutStage(options: TimeoutOptions): Stage {
  return function timeoutStage(call, next) {
    const ms = options.timeoutMs(call);
    const controller = new AbortController();
    const onClientAbort = () => controller.abort(call.signal.reason);
    if (call.signal.aborted) onClientAbort();
    else call.signal.addEventListener('abort', onClientAbort, { once: true });
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(function deadlinePassed() {
        const reason = timeoutReason(ms);
        controller.abort(reason);
        reject(new TransportError('timeout', `${call.source} did not answer within ${ms} ms`, { timeoutMs: ms }));
      }, ms);
      next({ ...call, signal: controller.signal, deadline: Date.now() + ms }).then(resolve, reject).finally(function clear() {
        clearTimeout(timer);
        call.signal.removeEventListener('abort', onClientAbort);
      });
    });
  };
}
