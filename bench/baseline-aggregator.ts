/**
 * The direct-call baseline: what a hand-written aggregator for the seed order query costs, with no GraphQL
 * library anywhere. It does the same backend work the gateway does for
 *   { order(id: "1") { id customerId products { id name price stock } shipment { status carrier eta } } }
 * GetOrder over gRPC, then the inventory batch and the logistics batch in parallel over keep-alive undici
 * pools (same pool size as the gateway's OpenAPI transport), and answers with byte-for-byte the JSON the
 * gateway returns.
 *
 * It does not interpret GraphQL: any `POST` with a JSON body is answered with the seed order; the order id
 * may be given as `?orderId=N` (default "1"). It does read and parse the body, as any real endpoint must.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { Pool } from 'undici';

export interface BaselineOptions {
  /** Port to listen on (loopback only); 0 picks a free one. */
  port: number;
  /** `http://127.0.0.1:PORT` of the inventory REST backend. */
  inventoryUrl: string;
  /** `http://127.0.0.1:PORT` of the logistics REST backend. */
  logisticsUrl: string;
  /** `127.0.0.1:PORT`, the grpc-js target of the orders backend. */
  ordersAddress: string;
}

export interface Baseline extends AsyncDisposable {
  /** `http://127.0.0.1:PORT/graphql` */
  readonly url: string;
  close(): Promise<void>;
}

interface Order {
  id: string;
  customerId: string;
  productIds: string[];
}
interface Product {
  id: string;
  name: string;
  price: number;
  stock: number;
}
interface Shipment {
  orderId: string;
  status: string;
  carrier: string;
  eta: string;
}

// Set by the runner: the compiled baseline lives elsewhere than this file, so a path relative to it would miss.
const ORDERS_PROTO = process.env['ORDERS_PROTO'] ?? fileURLToPath(new URL('../schemas/orders.proto', import.meta.url));
const GET_ORDER = 'warehouse.orders.v1.OrderService';
/** The same options as the demo server and the gateway's gRPC source: camelCase fields, int64 as string. */
const PROTO_LOADER_OPTIONS = { keepCase: false, longs: String, enums: String, defaults: true, oneofs: true } as const;
/** Same as the gateway's gRPC channel options, so both hold one HTTP/2 connection with the same settings. */
const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.keepalive_time_ms': 300_000,
  'grpc.keepalive_timeout_ms': 20_000,
  'grpc.keepalive_permit_without_calls': 0,
};
/** Same as the gateway's OpenAPI transport default. */
const POOL_CONNECTIONS = 128;
const MAX_BODY_BYTES = 1_048_576;

class UpstreamError extends Error {
  override readonly name = 'UpstreamError';
}

export async function startBaseline(options: BaselineOptions): Promise<Baseline> {
  const packageDefinition = await protoLoader.load(ORDERS_PROTO, PROTO_LOADER_OPTIONS);
  const service = packageDefinition[GET_ORDER] as grpc.ServiceDefinition | undefined;
  const getOrderMethod = service?.['GetOrder'];
  if (getOrderMethod === undefined) throw new Error(`${GET_ORDER}/GetOrder not found in ${ORDERS_PROTO}`);
  const orders = new grpc.Client(options.ordersAddress, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
  const inventory = new Pool(new URL(options.inventoryUrl).origin, { connections: POOL_CONNECTIONS });
  const logistics = new Pool(new URL(options.logisticsUrl).origin, { connections: POOL_CONNECTIONS });

  function getOrder(id: string): Promise<Order> {
    return new Promise((resolve, reject) => {
      orders.makeUnaryRequest(
        getOrderMethod!.path,
        getOrderMethod!.requestSerialize,
        getOrderMethod!.responseDeserialize,
        { id },
        (error: grpc.ServiceError | null, order?: unknown) => (error || order === undefined ? reject(error ?? new UpstreamError('empty reply')) : resolve(order as Order)),
      );
    });
  }

  async function getJson<T>(pool: Pool, path: string): Promise<T> {
    const { statusCode, body } = await pool.request({ method: 'GET', path, headers: { accept: 'application/json' } });
    if (statusCode !== 200) {
      await body.dump();
      throw new UpstreamError(`GET ${path}: HTTP ${statusCode}`);
    }
    return (await body.json()) as T;
  }

  async function orderDocument(orderId: string): Promise<string> {
    const order = await getOrder(orderId);
    const [products, shipments] = await Promise.all([
      order.productIds.length === 0
        ? Promise.resolve([] as Product[])
        : getJson<Product[]>(inventory, `/products/batch?ids=${order.productIds.map(encodeURIComponent).join(',')}`),
      getJson<Shipment[]>(logistics, `/shipments?orderIds=${encodeURIComponent(order.id)}`),
    ]);
    const productById = new Map(products.map((product) => [product.id, product]));
    const shipment = shipments.find((candidate) => candidate.orderId === order.id);
    // Built field by field, in the query's order, so the JSON matches the gateway's byte for byte.
    return JSON.stringify({
      data: {
        order: {
          id: order.id,
          customerId: order.customerId,
          products: order.productIds.map((id) => {
            const product = productById.get(id);
            return product === undefined ? null : { id: product.id, name: product.name, price: product.price, stock: product.stock };
          }),
          shipment: shipment === undefined ? null : { status: shipment.status, carrier: shipment.carrier, eta: shipment.eta },
        },
      },
    });
  }

  const server = createServer(function handleBaselineRequest(req, res) {
    handle(req, res).catch(function answerFailure(error: unknown) {
      const message = error instanceof Error ? error.message : String(error);
      send(res, 200, JSON.stringify({ data: { order: null }, errors: [{ message, extensions: { code: 'SOURCE_UNAVAILABLE' } }] }));
    });
  });
  server.keepAliveTimeout = 65_000;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') {
      send(res, 405, JSON.stringify({ errors: [{ message: 'POST a GraphQL request' }] }));
      return;
    }
    const body = await readBody(req);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      parsed = undefined;
    }
    if (typeof parsed !== 'object' || parsed === null || typeof (parsed as { query?: unknown }).query !== 'string') {
      send(res, 400, JSON.stringify({ errors: [{ message: 'body must be a JSON object with a "query" string' }] }));
      return;
    }
    const orderId = new URL(req.url ?? '/', 'http://localhost').searchParams.get('orderId') ?? '1';
    send(res, 200, await orderDocument(orderId));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      await closeServer(server);
      orders.close();
      await Promise.all([inventory.close(), logistics.close()]);
    })());
  return { url: `http://127.0.0.1:${port}/graphql`, close, [Symbol.asyncDispose]: close };
}

function send(res: ServerResponse, status: number, payload: string): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new Error(`request body exceeds ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
