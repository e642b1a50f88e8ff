/**
 * The warehouse demo: four small backends (inventory and logistics over REST, orders over gRPC,
 * reviews over GraphQL) whose specs live in `schemas/`.
 */
import { schemaPath, type DemoBackend } from './backend.js';
import { INVENTORY_SPEC_FILE, startInventory } from './inventory.js';
import { LOGISTICS_SPEC_FILE, startLogistics } from './logistics.js';
import { ORDERS_PROTO_FILE, startOrders } from './orders.js';
import { REVIEWS_SCHEMA_FILE, startReviews } from './reviews.js';

export * from './backend.js';
export * from './data.js';
export * from './inventory.js';
export * from './logistics.js';
export * from './orders.js';
export * from './reviews.js';

/** Where `interchange demo` and `src/demo/main.ts` listen unless told otherwise. */
export const DEMO_DEFAULT_PORTS = { inventory: 5101, logistics: 5102, orders: 50151, reviews: 5103 } as const;

export type DemoBackendName = keyof typeof DEMO_DEFAULT_PORTS;

/** Absolute paths of the specs the gateway reads for each demo backend. */
export const DEMO_SCHEMA_FILES: Readonly<Record<DemoBackendName, string>> = {
  inventory: schemaPath(INVENTORY_SPEC_FILE),
  logistics: schemaPath(LOGISTICS_SPEC_FILE),
  orders: schemaPath(ORDERS_PROTO_FILE),
  reviews: schemaPath(REVIEWS_SCHEMA_FILE),
};

export interface DemoBackendsOptions {
  /** Latency of every backend, in milliseconds. Default: `DEMO_LATENCY_MS`, else 0. */
  latencyMs?: number;
  /** Port per backend; 0 or absent picks a free one. */
  ports?: Partial<Record<DemoBackendName, number>>;
  /** Interface to listen on. Default: `127.0.0.1`. */
  host?: string;
}

export interface DemoBackends extends AsyncDisposable, Record<DemoBackendName, DemoBackend> {
  close(): Promise<void>;
}

/** Starts the four backends side by side; if one fails to start, the others are closed again. */
export async function startDemoBackends(options: DemoBackendsOptions = {}): Promise<DemoBackends> {
  const { ports = {} } = options;
  function optionsFor(name: DemoBackendName): { port: number; host?: string; latencyMs?: number } {
    return {
      port: ports[name] ?? 0,
      ...(options.host === undefined ? {} : { host: options.host }),
      ...(options.latencyMs === undefined ? {} : { latencyMs: options.latencyMs }),
    };
  }
  const started = await Promise.allSettled([
    startInventory(optionsFor('inventory')),
    startLogistics(optionsFor('logistics')),
    startOrders(optionsFor('orders')),
    startReviews(optionsFor('reviews')),
  ]);
  const running = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failure = started.find((result) => result.status === 'rejected');
  if (failure !== undefined) {
    await Promise.allSettled(running.map((backend) => backend.close()));
    throw failure.reason;
  }
  const [inventory, logistics, orders, reviews] = running;
  if (inventory === undefined || logistics === undefined || orders === undefined || reviews === undefined) {
    throw new Error('a demo backend neither started nor failed');
  }
  let closing: Promise<void> | undefined;
  function close(): Promise<void> {
    closing ??= Promise.all(running.map((backend) => backend.close())).then(() => undefined);
    return closing;
  }
  return { inventory, logistics, orders, reviews, close, [Symbol.asyncDispose]: close };
}
