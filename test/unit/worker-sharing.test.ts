import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { WORKERS_CHANNEL } from '../../src/server/worker-channel.js';
import { shareWithWorkers } from '../../src/server/worker-sharing.js';
import { capturingLogger } from '../helpers/capturing-logger.js';
import { inMemoryWorkers, settled } from '../helpers/in-memory-workers.js';

type Purge = [source: string, operation?: string, args?: Record<string, unknown>];

/** N workers sharing through a primary that passes a purge on to the others, as serve-workers.ts does. */
function workersWith(count: number, storeKind: 'memory' | 'redis', failing = false) {
  const purged = new Map<number, Purge[]>();
  const { logger, lines } = capturingLogger();
  const workers = inMemoryWorkers(count, {
    onMessage: (from, message) => {
      const m = message as { channel: string; type: string };
      if (m.channel === WORKERS_CHANNEL && m.type === 'purge') for (let other = 1; other <= count; other++) if (other !== from) workers.toWorker(other, m);
    },
  });
  const sharing = Array.from({ length: count }, (_, i) => {
    const index = i + 1;
    purged.set(index, []);
    return shareWithWorkers(workers.channel(index), {
      registry: new Registry(),
      storeKind,
      logger,
      purge: async (...call: Purge) => {
        purged.get(index)!.push(call.filter((part) => part !== undefined) as Purge);
        if (failing) throw new Error('the store is gone');
      },
    });
  });
  return { sharing, purged, workers, lines };
}

describe('an admin cache purge made on one worker', () => {
  it('is made by every other worker\'s memory cache, with the operation and arguments, and not again by the one that made it', async () => {
    const { sharing, purged } = workersWith(3, 'memory');
    sharing[0]!.purged('orders', 'order', { id: '1' });
    sharing[1]!.purged('reviews');
    await settled();
    expect(purged.get(1)).toEqual([['reviews']]);
    expect(purged.get(2)).toEqual([['orders', 'order', { id: '1' }]]);
    expect(purged.get(3)).toEqual([['orders', 'order', { id: '1' }], ['reviews']]);
  });

  it('is not passed on with a Redis cache (one for every worker) nor by a lone worker', async () => {
    const redis = workersWith(2, 'redis');
    redis.sharing[0]!.purged('orders');
    const lone = workersWith(1, 'memory');
    lone.sharing[0]!.purged('orders');
    await settled();
    expect(redis.workers.sent.filter((s) => s.message.type === 'purge')).toEqual([]);
    expect(lone.workers.sent.filter((s) => s.message.type === 'purge')).toEqual([]);
    expect([...redis.purged.values(), ...lone.purged.values()].flat()).toEqual([]);
  });

  it('logs a purge passed on that fails, and stops hearing purges once disposed', async () => {
    const { sharing, purged, lines } = workersWith(2, 'memory', true);
    sharing[0]!.purged('orders');
    await settled();
    expect(lines.filter((l) => l['msg'] === 'a cache purge passed on by another worker failed').map((l) => l['source'])).toEqual(['orders']);
    sharing[1]![Symbol.dispose]();
    sharing[0]!.purged('reviews');
    await settled();
    expect(purged.get(2)).toEqual([['orders']]);
  });
});
