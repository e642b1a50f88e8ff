import { readFileSync } from 'node:fs';
import { buildSchema, execute, parse, type GraphQLSchema } from 'graphql';
import { DEMO_CONFIG } from '../../src/cli/demo.js';
import { loadConfigFile, validateConfig, type GatewayConfig } from '../../src/config/load.js';
import { createOrders, createProducts, createReviews, createShipments, productRatingOf } from '../../src/demo/data.js';
import { ConfigInvalidError } from '../../src/errors.js';
import { createGateway, type Gateway, type GatewayOptions } from '../../src/server/create-gateway.js';
import { httpCallFailure } from '../../src/sources/call-failure.js';
import type { OperationSpec, Transport, TransportCall } from '../../src/sources/types.js';
import type { GraphqlBody } from './demo-gateway.js';

/**
 * The demo's gateway (the real interchange.yaml, specs and links) over in-memory transports: no socket, no
 * process, so the gateway's own logic (links, partial failure, stale marking, de-duplication, reloads) is tested
 * fast and deterministically through `gateway.fetch()`. Each backend answers from the demo data in the shape the
 * GraphQL schema has (what a real transport hands back after decoding the wire format).
 */

/**
 * One backend operation's answer, keyed `source.operation`: the field name before `rename` (`orders.getOrder`,
 * `inventory.productsByIds`); for the remote GraphQL source, `reviews.<root field>`.
 */
export type Handler = (args: Readonly<Record<string, unknown>>, call: TransportCall & { endpoint: string }) => unknown;

export interface RecordedCall {
  readonly source: string;
  readonly field: string;
  readonly endpoint: string;
  readonly args: Readonly<Record<string, unknown>>;
}

export interface InMemoryBackends {
  /** Every call that reached a backend, in arrival order. */
  readonly calls: RecordedCall[];
  /** Calls of `source.field` so far. */
  count(key: string): number;
  /** Calls running right now, and the most that ever ran at once (all backends together). */
  readonly inFlight: { now: number; max: number };
  /** Replaces the answer of `source.field` until `reset()`. */
  answer(key: string, handler: Handler): void;
  /**
   * Calls of `source.operation` (those whose arguments `match`, when given) wait until the returned function is
   * called; then they answer normally.
   */
  hold(key: string, match?: (args: Readonly<Record<string, unknown>>) => boolean): () => void;
  /** Transports disposed so far, by source (a generation closing closes its transports). */
  readonly disposed: string[];
  reset(): void;
}

function demoHandlers(): Record<string, Handler> {
  const products = createProducts();
  const orders = createOrders();
  const shipments = createShipments();
  return {
    'inventory.products': (args) => [...products.values()].slice(0, Number(args['limit'] ?? 20)),
    'inventory.productsByIds': (args) => (args['ids'] as string[]).flatMap((id) => products.get(id) ?? []),
    'inventory.product': (args) => products.get(String(args['id'])) ?? null,
    'inventory.adjustStock': (args) => {
      const product = products.get(String(args['id']));
      if (!product) return null;
      product.stock += (args['input'] as { delta: number }).delta;
      return product;
    },
    'logistics.shipmentByOrder': (args) => shipments.get(String(args['orderId'])) ?? null,
    'logistics.shipmentsByOrders': (args) => (args['orderIds'] as string[]).flatMap((id) => shipments.get(id) ?? []),
    'orders.getOrder': (args) => orders.get(String(args['id'])) ?? null,
    'orders.listOrders': (args) => ({ orders: [...orders.values()].slice(0, Number(args['first'] ?? 20) || 20) }),
  };
}

/** The reviews service: its real SDL, executed in memory. */
function reviewsSchema(): { schema: GraphQLSchema; rootValue: Record<string, (args: Record<string, unknown>) => unknown> } {
  const reviews = createReviews();
  const schema = buildSchema(readFileSync(new URL('../../schemas/reviews.graphql', import.meta.url), 'utf8'));
  return {
    schema,
    rootValue: {
      reviewsByProduct: (args) => reviews.get(String(args['productId'])) ?? [],
      reviewsByProducts: (args) => (args['productIds'] as string[]).flatMap((id) => reviews.get(id) ?? []),
      productRatings: (args) => (args['ids'] as string[]).map((id) => productRatingOf(id, reviews.get(id) ?? [])),
    },
  };
}

/**
 * Handlers are keyed by the field name an operation has before `rename` (an OpenAPI operationId, a gRPC method
 * in lower camel case), so a renamed field still reaches its backend operation.
 */
function defaultFieldName(operation: OperationSpec): string {
  const method = operation.operationId.split('/').pop()!;
  return method.charAt(0).toLowerCase() + method.slice(1);
}

/** Waits until `condition` holds, yielding to pending I/O and promise callbacks between checks (no timers, so
 * it works under fake timers too). */
export async function until(condition: () => boolean, what = 'the condition'): Promise<void> {
  for (let i = 0; i < 1_000; i++) {
    if (condition()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`${what} did not come true`);
}

/** Rejects like a real transport when the call's signal aborts (deadline → TransportError timeout). */
function abortable<T>(run: Promise<T>, signal: AbortSignal, label: string): Promise<T> {
  if (signal.aborted) return Promise.reject(httpCallFailure(new Error('aborted'), label, signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(httpCallFailure(new Error('aborted'), label, signal));
    signal.addEventListener('abort', onAbort, { once: true });
    run.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export function createInMemoryBackends(): InMemoryBackends & { transportFor(source: { config: { name: string } }): Transport } {
  let handlers = demoHandlers();
  let reviews = reviewsSchema();
  const overrides = new Map<string, Handler>();
  const holds = new Map<string, { gate: Promise<void>; match: (args: Readonly<Record<string, unknown>>) => boolean }>();
  const calls: RecordedCall[] = [];
  const inFlight = { now: 0, max: 0 };
  const disposed: string[] = [];

  async function answer(source: string, field: string, args: Readonly<Record<string, unknown>>, call: TransportCall & { endpoint: string }, fallback?: Handler): Promise<unknown> {
    const key = `${source}.${field}`;
    calls.push({ source, field, endpoint: call.endpoint, args });
    inFlight.now++;
    inFlight.max = Math.max(inFlight.max, inFlight.now);
    try {
      return await abortable(
        (async () => {
          const hold = holds.get(key);
          if (hold?.match(args)) await hold.gate;
          const handler = overrides.get(key) ?? handlers[key] ?? fallback;
          if (!handler) throw new Error(`no in-memory handler for ${key}`);
          return handler(args, call);
        })(),
        call.signal,
        call.endpoint,
      );
    } finally {
      inFlight.now--;
    }
  }

  function transportFor(source: { config: { name: string } }): Transport {
    const name = source.config.name;
    return {
      async call(endpoint: string, operation: OperationSpec, args: Readonly<Record<string, unknown>>, call: TransportCall) {
        if (name !== 'reviews') return answer(name, defaultFieldName(operation), args, { ...call, endpoint });
        // The remote GraphQL source sends whole documents: each root field counts as one call of that field.
        const document = parse(String(args['query']));
        const variables = (args['variables'] ?? {}) as Record<string, unknown>;
        const rootValue: Record<string, unknown> = {};
        for (const [field, resolve] of Object.entries(reviews.rootValue)) {
          rootValue[field] = (fieldArgs: Record<string, unknown>) => answer(name, field, fieldArgs, { ...call, endpoint }, resolve);
        }
        return execute({ schema: reviews.schema, document, variableValues: variables, rootValue });
      },
      async [Symbol.asyncDispose]() {
        disposed.push(name);
      },
    };
  }

  return {
    calls,
    inFlight,
    disposed,
    count: (key) => calls.filter((c) => `${c.source}.${c.field}` === key).length,
    answer: (key, handler) => void overrides.set(key, handler),
    hold(key, match = () => true) {
      let release!: () => void;
      holds.set(key, { gate: new Promise<void>((resolve) => (release = resolve)), match });
      return () => {
        holds.delete(key);
        release();
      };
    },
    reset() {
      calls.length = 0;
      inFlight.now = 0;
      inFlight.max = 0;
      overrides.clear();
      handlers = demoHandlers();
      reviews = reviewsSchema();
    },
    transportFor,
  };
}

export interface InMemoryDemo extends AsyncDisposable {
  readonly gateway: Gateway;
  readonly backends: InMemoryBackends;
  readonly config: GatewayConfig;
  /** POSTs a query through `gateway.fetch()`. */
  query(query: string, options?: { variables?: Record<string, unknown>; headers?: Record<string, string>; signal?: AbortSignal }): Promise<{ status: number; headers: Headers; body: GraphqlBody }>;
}

/** The demo config as parsed from interchange.yaml, with `edit` applied to the raw object before validation. */
export function demoConfig(edit?: (raw: Record<string, unknown>) => void): GatewayConfig {
  const env = { ...process.env, INVENTORY_URL: 'http://inventory.test', LOGISTICS_URL: 'http://logistics.test', ORDERS_ADDRESS: 'orders.test:50051', REVIEWS_URL: 'http://reviews.test/graphql' };
  const config = loadConfigFile(DEMO_CONFIG, { env });
  if (!edit) return config;
  const raw = structuredClone(config) as unknown as Record<string, unknown>;
  delete raw['file'];
  edit(raw);
  return validateConfig(raw, DEMO_CONFIG, { env });
}

/** The problems (`key: message`) of the demo config with `edit` applied; [] when it is valid. */
export function demoConfigProblems(edit: (raw: Record<string, unknown>) => void): string[] {
  try {
    demoConfig(edit);
  } catch (error) {
    if (!(error instanceof ConfigInvalidError)) throw error;
    return error.problems.map((p) => `${p.at}: ${p.message}`);
  }
  return [];
}

/** A source entry of a raw demo config, to edit it. */
export function rawSource(raw: Record<string, unknown>, name: string): Record<string, unknown> {
  const source = (raw['sources'] as Record<string, unknown>[]).find((s) => s['name'] === name);
  if (!source) throw new Error(`no source ${name}`);
  return source;
}

export async function createInMemoryDemo(options: { edit?: (raw: Record<string, unknown>) => void; gateway?: Omit<GatewayOptions, 'transportFor'> } = {}): Promise<InMemoryDemo> {
  const backends = createInMemoryBackends();
  const config = demoConfig(options.edit);
  const gateway = await createGateway(config, { ...options.gateway, transportFor: backends.transportFor });
  return {
    gateway,
    backends,
    config,
    async query(query, queryOptions = {}) {
      const response = await gateway.fetch('http://gateway.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...queryOptions.headers },
        body: JSON.stringify({ query, variables: queryOptions.variables }),
        ...(queryOptions.signal ? { signal: queryOptions.signal } : {}),
      });
      return { status: response.status, headers: response.headers, body: (await response.json()) as GraphqlBody };
    },
    [Symbol.asyncDispose]: () => gateway[Symbol.asyncDispose](),
  };
}
