import { describe, expect, it, vi } from 'vitest';
import { abuseSchema } from '../../src/config/access-schema.js';
import { createAbuseDetector, type AbuseEvent } from '../../src/security/abuse-detector.js';
import { createPrimaryAbuseDetection, createWorkerAbuseDetector, type AbuseMessage, type WorkerAbuseDetector } from '../../src/security/shared-abuse-detector.js';

const settings = abuseSchema.parse({ probingMinFailures: 20, probingFailureRatio: 0.5, coolDownSeconds: 300 });

/** A primary and `n` workers joined by in-memory message passing (structured clones, as IPC would carry them). */
function machine(n: number, clock: { now: number }) {
  const announced: { worker: number; event: AbuseEvent }[] = [];
  const workers: WorkerAbuseDetector[] = [];
  const primary = createPrimaryAbuseDetection<number>({
    now: () => clock.now,
    workers: () => workers.map((_, i) => i),
    send: (to, message) => workers[to]!.receive(structuredClone(message)),
  });
  for (let i = 0; i < n; i++) {
    workers.push(
      createWorkerAbuseDetector({
        now: () => clock.now,
        send: (message: AbuseMessage) => primary.receive(i, structuredClone(message)),
        onThrottled: (event) => announced.push({ worker: i, event }),
      }),
    );
  }
  return { primary, workers, announced };
}

describe('abuse detection shared by the workers of one machine', () => {
  it('sees a client whose failing requests are spread over two workers as one client, and every worker throttles it', () => {
    const clock = { now: 1_000_000 };
    const { workers, announced, primary } = machine(2, clock);
    // 24 failing requests, 12 on each worker: below probingMinFailures (20) for either worker alone.
    for (let i = 0; i < 12; i++) for (const worker of workers) expect(worker.record('ip:10.6.6.6', true, settings)).toBeUndefined();
    expect(workers[0]!.throttled('ip:10.6.6.6')).toBeUndefined();
    workers[0]!.flush();
    expect(workers[1]!.throttled('ip:10.6.6.6')).toBeUndefined();
    workers[1]!.flush();
    const event = workers[0]!.throttled('ip:10.6.6.6');
    expect(event).toMatchObject({ client: 'ip:10.6.6.6', kind: 'probing', failures: 20, until: clock.now + 300_000 });
    expect(workers[1]!.throttled('ip:10.6.6.6')).toEqual(event);
    // Counted, logged and posted once, by the worker whose counts tripped it.
    expect(announced).toEqual([{ worker: 1, event }]);
    expect(primary.detector.active()).toEqual([event]);
    expect(workers[0]!.active()).toEqual([event]);
    // Others are not affected.
    expect(workers[0]!.throttled('ip:10.0.0.1')).toBeUndefined();
    // The cool-down ends on every worker by the same clock.
    clock.now += 300_001;
    expect(workers[0]!.throttled('ip:10.6.6.6')).toBeUndefined();
    expect(workers[1]!.active()).toEqual([]);
    for (const worker of workers) worker[Symbol.dispose]();
  });

  it('where a detector per worker would see two clients below the threshold', () => {
    const perWorker = [createAbuseDetector({ now: () => 0 }), createAbuseDetector({ now: () => 0 })];
    const events = [];
    for (let i = 0; i < 12; i++) for (const detector of perWorker) events.push(detector.record('ip:10.6.6.6', true, settings));
    expect(events.filter(Boolean)).toEqual([]);
  });

  it('tells a worker that starts later of the clients throttled now (it announces nothing: that was done)', () => {
    const clock = { now: 0 };
    const { workers, primary, announced } = machine(1, clock);
    for (let i = 0; i < 20; i++) workers[0]!.record('user:mallory', true, settings);
    workers[0]!.flush();
    expect(announced).toHaveLength(1);
    const late = createWorkerAbuseDetector({ now: () => clock.now, send: () => {}, onThrottled: (event) => announced.push({ worker: 1, event }) });
    workers.push(late);
    primary.welcome(1);
    expect(late.throttled('user:mallory')).toMatchObject({ kind: 'probing', failures: 20 });
    expect(announced).toHaveLength(1);
    for (const worker of workers) worker[Symbol.dispose]();
  });

  it('sends counts once per flush interval, only while there are any, and ignores messages of other features', () => {
    vi.useFakeTimers();
    const sent: AbuseMessage[] = [];
    const worker = createWorkerAbuseDetector({ send: (message) => sent.push(message), onThrottled: () => {}, flushMs: 100 });
    worker.record('ip:a', false, settings);
    worker.record('ip:a', true, settings);
    vi.advanceTimersByTime(99);
    worker.record('ip:b', false, settings);
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(sent).toEqual([{ channel: 'interchange:abuse', type: 'counts', settings, counts: [['ip:a', 2, 1], ['ip:b', 1, 0]] }]);
    vi.advanceTimersByTime(1_000);
    expect(sent).toHaveLength(1);
    worker.record('ip:a', false, settings);
    vi.advanceTimersByTime(100);
    expect(sent[1]).toMatchObject({ counts: [['ip:a', 1, 0]] });
    vi.useRealTimers();
    expect(worker.receive({ channel: 'interchange:metrics', type: 'throttled', events: [] })).toBe(false);
    expect(worker.receive('noise')).toBe(false);
    const primary = createPrimaryAbuseDetection<number>({ workers: () => [], send: () => {} });
    expect(primary.receive(0, { channel: 'interchange:abuse', type: 'counts', counts: 'not a list', settings })).toBe(false);
    worker[Symbol.dispose]();
  });
});
