/**
 * Orders: a grpc-js server for `schemas/orders.proto` (`warehouse.orders.v1.OrderService`).
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import {
  createCallStats,
  formatHost,
  onceAsync,
  resolveLatencyMs,
  schemaPath,
  simulateLatency,
  type CallStats,
  type DemoBackend,
  type DemoBackendOptions,
} from './backend.js';
import { createOrders, createProducts, ORDER_STATUSES, totalCentsOf, type Order, type OrderStatus } from './data.js';

export const ORDERS_PROTO_FILE = 'orders.proto';
export const ORDER_SERVICE_NAME = 'warehouse.orders.v1.OrderService';

/** The loader options the demo and its clients share; the message types below depend on them. */
export const ORDERS_PROTO_LOADER_OPTIONS = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
} as const satisfies protoLoader.Options;

export interface GetOrderRequest {
  id: string;
}
export interface ListOrdersRequest {
  first: number;
}
export interface ListOrdersResponse {
  orders: Order[];
}
export interface CreateOrderRequest {
  customerId: string;
  productIds: string[];
}
export interface WatchOrderStatusRequest {
  id: string;
}
export interface OrderStatusUpdate {
  orderId: string;
  status: OrderStatus;
  /** RFC 3339, UTC. */
  at: string;
}

export interface OrdersBackendOptions extends DemoBackendOptions {
  /** Milliseconds between two updates of `WatchOrderStatus`. Default: 500. */
  watchIntervalMs?: number;
  /** Milliseconds `close()` lets running calls finish before cutting them off. Default: 1000. */
  shutdownGraceMs?: number;
}

const DEFAULT_WATCH_INTERVAL_MS = 500;
const DEFAULT_LIST_SIZE = 20;
const DEFAULT_SHUTDOWN_GRACE_MS = 1_000;

/** Loads `schemas/orders.proto` with the demo's options: what servers and test clients are built from. */
export function loadOrdersProto(): Promise<protoLoader.PackageDefinition> {
  return protoLoader.load(schemaPath(ORDERS_PROTO_FILE), ORDERS_PROTO_LOADER_OPTIONS);
}

export async function startOrders(options: OrdersBackendOptions = {}): Promise<DemoBackend> {
  const latencyMs = resolveLatencyMs(options.latencyMs);
  const watchIntervalMs = options.watchIntervalMs ?? DEFAULT_WATCH_INTERVAL_MS;
  if (!Number.isFinite(watchIntervalMs) || watchIntervalMs < 0) {
    throw new RangeError(`watchIntervalMs must be a non-negative number of milliseconds, got ${watchIntervalMs}`);
  }
  const host = options.host ?? '127.0.0.1';
  const stats = createCallStats();
  const service = serviceDefinition(await loadOrdersProto());
  const server = new grpc.Server();
  server.addService(service, createOrderService(stats, latencyMs, watchIntervalMs));

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${formatHost(host)}:${options.port ?? 0}`, grpc.ServerCredentials.createInsecure(), (error, boundPort) =>
      error ? reject(error) : resolve(boundPort),
    );
  });

  const close = onceAsync(function closeOrders() {
    return new Promise<void>((resolve) => {
      // Streams still running past the grace period are cancelled, which clears their timers.
      const force = setTimeout(function forceShutdown() {
        server.forceShutdown();
        resolve();
      }, options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS);
      server.tryShutdown(function shutDown() {
        clearTimeout(force);
        resolve();
      });
    });
  });
  return { name: 'orders', url: `${formatHost(host)}:${port}`, port, stats, close, [Symbol.asyncDispose]: close };
}

function serviceDefinition(packageDefinition: protoLoader.PackageDefinition): grpc.ServiceDefinition {
  const definition = packageDefinition[ORDER_SERVICE_NAME];
  // Message and enum definitions carry a `format`; services do not.
  if (definition === undefined || 'format' in definition) {
    throw new Error(`${ORDER_SERVICE_NAME} is not a service in ${ORDERS_PROTO_FILE}`);
  }
  return definition as grpc.ServiceDefinition;
}

function grpcError(code: grpc.status, details: string): grpc.ServerErrorResponse {
  return Object.assign(new Error(details), { code, details });
}

function isServerError(error: unknown): error is grpc.ServerErrorResponse {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'number';
}

function createOrderService(stats: CallStats, latencyMs: number, watchIntervalMs: number): grpc.UntypedServiceImplementation {
  const orders = createOrders();
  // Prices for new orders come from the initial catalogue: the orders service owns no stock or prices.
  const catalogue = createProducts();

  function findOrder(id: string): Order {
    const order = orders.get(id);
    if (order === undefined) throw grpcError(grpc.status.NOT_FOUND, `order ${JSON.stringify(id)} not found`);
    return order;
  }

  /** Records the call, waits the latency, then answers with `answer`'s result or the gRPC error it throws. */
  function unary<Request, Response>(operation: string, answer: (request: Request) => Response): grpc.handleUnaryCall<Request, Response> {
    return function handleUnary(call, callback) {
      stats.record(operation, call.request);
      simulateLatency(latencyMs)
        .then(() => callback(null, answer(call.request)))
        .catch(function answerError(error: unknown) {
          if (isServerError(error)) return callback(error);
          console.error(`[demo:orders] ${operation} failed`, error);
          callback(grpcError(grpc.status.INTERNAL, 'internal error'));
        });
    };
  }

  function watchOrderStatus(call: grpc.ServerWritableStream<WatchOrderStatusRequest, OrderStatusUpdate>): void {
    stats.record('WatchOrderStatus', call.request);
    const { id } = call.request;
    let timer: NodeJS.Timeout | undefined;
    call.on('cancelled', function stopWatching() {
      clearTimeout(timer);
    });

    // The stream replays the order's way from its current status to DELIVERED, one step per interval.
    let pending: OrderStatus[] | undefined;
    function sendNext(): void {
      if (call.cancelled) return;
      if (pending === undefined) {
        const order = orders.get(id);
        if (order === undefined) {
          call.emit('error', grpcError(grpc.status.NOT_FOUND, `order ${JSON.stringify(id)} not found`));
          return;
        }
        pending = ORDER_STATUSES.slice(ORDER_STATUSES.indexOf(order.status));
      }
      const status = pending.shift();
      if (status !== undefined) call.write({ orderId: id, status, at: new Date().toISOString() });
      if (pending.length === 0) {
        call.end();
        return;
      }
      timer = setTimeout(sendNext, watchIntervalMs);
    }
    timer = setTimeout(sendNext, latencyMs);
  }

  return {
    GetOrder: unary<GetOrderRequest, Order>('GetOrder', (request) => findOrder(request.id)),
    ListOrders: unary<ListOrdersRequest, ListOrdersResponse>('ListOrders', (request) => {
      if (request.first < 0) throw grpcError(grpc.status.INVALID_ARGUMENT, `first must not be negative, got ${request.first}`);
      const first = request.first === 0 ? DEFAULT_LIST_SIZE : request.first;
      return { orders: [...orders.values()].slice(0, first) };
    }),
    CreateOrder: unary<CreateOrderRequest, Order>('CreateOrder', (request) => {
      if (request.customerId === '') throw grpcError(grpc.status.INVALID_ARGUMENT, 'customer_id is required');
      if (request.productIds.length === 0) throw grpcError(grpc.status.INVALID_ARGUMENT, 'product_ids must not be empty');
      const unknown = request.productIds.filter((productId) => !catalogue.has(productId));
      if (unknown.length > 0) throw grpcError(grpc.status.INVALID_ARGUMENT, `unknown products: ${unknown.join(', ')}`);
      const order: Order = {
        id: String(orders.size + 1),
        customerId: request.customerId,
        productIds: [...request.productIds],
        status: 'PLACED',
        totalCents: totalCentsOf(request.productIds, catalogue),
      };
      orders.set(order.id, order);
      return order;
    }),
    WatchOrderStatus: watchOrderStatus,
  };
}
