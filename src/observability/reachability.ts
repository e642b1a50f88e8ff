/**
 * When each source last answered: a call of any outcome that got an answer (even an error status: the backend is
 * there), a passing active health check, or a readiness probe. `/readyz` reads it for `required: true` sources.
 * One per gateway; it outlives generations.
 */
export interface Reachability {
  /** Records that `source` answered (true) or did not (false: refused, reset, timed out) at `at` (epoch ms, default now). */
  record(source: string, answered: boolean, at?: number): void;
  /** Epoch ms of the last answer of `source`, or undefined when it never answered. */
  lastAnswer(source: string): number | undefined;
  /** Epoch ms of the last failure to answer, or undefined. */
  lastFailure(source: string): number | undefined;
}

export function createReachability(now: () => number = Date.now): Reachability {
  const answers = new Map<string, number>();
  const failures = new Map<string, number>();
  return {
    record(source, answered, at = now()) {
      (answered ? answers : failures).set(source, at);
    },
    lastAnswer: (source) => answers.get(source),
    lastFailure: (source) => failures.get(source),
  };
}
