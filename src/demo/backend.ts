/**
 * What every demo backend shares: the handle it returns, call statistics, the latency knob and the
 * node:http plumbing of the HTTP backends (inventory, logistics, reviews).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

/** Options every `start*` function accepts. */
export interface DemoBackendOptions {
  /** Port to listen on; 0 picks a free one. Default: 0. */
  port?: number;
  /** Interface to listen on. Default: `127.0.0.1`. */
  host?: string;
  /** Milliseconds every call waits before it is answered. Default: `DEMO_LATENCY_MS` from the environment, else 0. */
  latencyMs?: number;
  /** HTTP backends: milliseconds an idle keep-alive connection is kept open. Default: Node's (5000). */
  keepAliveTimeoutMs?: number;
}

/** A running demo backend. Closing twice is harmless. */
export interface DemoBackend extends AsyncDisposable {
  readonly name: string;
  /** `http://127.0.0.1:PORT` for HTTP backends, `127.0.0.1:PORT` (a grpc-js target) for gRPC. */
  readonly url: string;
  readonly port: number;
  readonly stats: CallStats;
  close(): Promise<void>;
}

export interface CallArrival {
  /** OpenAPI operationId, gRPC method name (`GetOrder`) or GraphQL root field name. */
  readonly operation: string;
  /** Wall-clock milliseconds with sub-millisecond precision: `performance.timeOrigin + performance.now()`. */
  readonly at: number;
  /** The call's arguments (path and query parameters, body, gRPC request, GraphQL field arguments). */
  readonly args?: unknown;
}

/** Plain-data view of the stats, as served by `GET /__stats`. */
export interface CallStatsSnapshot {
  readonly calls: number;
  readonly byOperation: Readonly<Record<string, number>>;
  readonly arrivals: readonly CallArrival[];
}

/** Counts a backend's calls so tests and benchmarks can prove batching, caching and fan-out. */
export interface CallStats extends CallStatsSnapshot {
  record(operation: string, args?: unknown): void;
  reset(): void;
  toJSON(): CallStatsSnapshot;
}

/** Only the last arrivals are kept so a benchmark run cannot grow memory without bound. */
export const MAX_RECORDED_ARRIVALS = 10_000;

export function createCallStats(): CallStats {
  let calls = 0;
  let byOperation: Record<string, number> = {};
  let arrivals: CallArrival[] = [];
  return {
    get calls() {
      return calls;
    },
    get byOperation() {
      return byOperation;
    },
    get arrivals() {
      return arrivals;
    },
    record(operation, args) {
      const at = performance.timeOrigin + performance.now();
      calls++;
      byOperation[operation] = (byOperation[operation] ?? 0) + 1;
      arrivals.push(args === undefined ? { operation, at } : { operation, at, args });
      if (arrivals.length > MAX_RECORDED_ARRIVALS) arrivals.shift();
    },
    reset() {
      calls = 0;
      byOperation = {};
      arrivals = [];
    },
    toJSON() {
      return { calls, byOperation, arrivals };
    },
  };
}

/** Validates the latency option, falling back to `DEMO_LATENCY_MS`; throws at start, never per request. */
export function resolveLatencyMs(latencyMs: number | undefined): number {
  const resolved = latencyMs ?? Number(process.env['DEMO_LATENCY_MS'] ?? 0);
  if (!Number.isFinite(resolved) || resolved < 0) {
    throw new RangeError(`latencyMs must be a non-negative number of milliseconds, got ${String(latencyMs ?? process.env['DEMO_LATENCY_MS'])}`);
  }
  return resolved;
}

/**
 * Calls waiting out their simulated latency right now, across every demo backend of this process, and the most
 * there ever were at once: tests prove that the gateway made calls concurrently by this count, not by clocks.
 */
export const latencyGauge = {
  now: 0,
  max: 0,
  reset(): void {
    this.now = 0;
    this.max = 0;
  },
};

/** Waits the configured latency; a zero latency must not cost a timer tick, benchmarks run with it. */
export async function simulateLatency(latencyMs: number): Promise<void> {
  if (latencyMs <= 0) return;
  latencyGauge.now++;
  latencyGauge.max = Math.max(latencyGauge.max, latencyGauge.now);
  try {
    await sleep(latencyMs);
  } finally {
    latencyGauge.now--;
  }
}

/** Absolute path of a file under the repository's `schemas/` folder. */
export function schemaPath(fileName: string): string {
  return fileURLToPath(new URL(`../../schemas/${fileName}`, import.meta.url));
}

/** The host part of a URL or grpc target: IPv6 literals need brackets. */
export function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** An HTTP error answered as `{ "message": ... }` with its status. */
export class DemoHttpError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = 'DemoHttpError';
    this.status = status;
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
  });
  res.end(payload);
}

const MAX_BODY_BYTES = 1_048_576;

/** Reads and parses a JSON request body; a missing, oversized or malformed body is a 400. */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new DemoHttpError(413, `request body exceeds ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw new DemoHttpError(400, 'request body must be JSON');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new DemoHttpError(400, 'request body is not valid JSON');
  }
}

/** Splits a `style: form, explode: false` array parameter (`ids=p1,p2`); absent or empty is a 400. */
export function readCsvParam(url: URL, name: string): string[] {
  const raw = url.searchParams.get(name);
  const values = raw === null ? [] : raw.split(',').filter((value) => value !== '');
  if (values.length === 0) throw new DemoHttpError(400, `query parameter ${name} is required`);
  return values;
}

/** Decodes a path segment; a malformed escape is the client's fault, not a 500. */
export function decodePathParam(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new DemoHttpError(400, `malformed path segment ${JSON.stringify(segment)}`);
  }
}

/** Handles one request of an HTTP backend; may throw (or reject with) a `DemoHttpError`. */
export type DemoRequestHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;

export interface HttpBackendInit {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly stats: CallStats;
  readonly handle: DemoRequestHandler;
  readonly keepAliveTimeoutMs?: number | undefined;
}

/**
 * Starts a node:http server that serves `GET /__stats`, `POST /__stats/reset` and `GET /healthz` (never counted),
 * hands every other request to `handle`, and answers thrown errors as JSON.
 */
export async function startHttpBackend(init: HttpBackendInit): Promise<DemoBackend> {
  const { name, stats, handle } = init;
  const server = createServer(function handleDemoRequest(req, res) {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/__stats' && req.method === 'GET') return sendJson(res, 200, stats);
    if (url.pathname === '/healthz' && req.method === 'GET') return sendJson(res, 200, { status: 'ok' });
    if (url.pathname === '/__stats/reset' && req.method === 'POST') {
      stats.reset();
      res.writeHead(204).end();
      return;
    }
    Promise.resolve()
      .then(() => handle(req, res, url))
      .catch(function answerError(error: unknown) {
        if (res.headersSent) {
          res.destroy();
          return;
        }
        if (error instanceof DemoHttpError) return sendJson(res, error.status, { message: error.message });
        console.error(`[demo:${name}] ${req.method ?? 'GET'} ${url.pathname} failed`, error);
        sendJson(res, 500, { message: 'internal error' });
      });
  });
  if (init.keepAliveTimeoutMs !== undefined) server.keepAliveTimeout = init.keepAliveTimeoutMs;
  const port = await listen(server, init.port, init.host);
  const close = onceAsync(function closeHttpBackend() {
    return new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      // server.close() alone waits for idle keep-alive sockets to time out.
      server.closeAllConnections();
    });
  });
  return { name, url: `http://${formatHost(init.host)}:${port}`, port, stats, close, [Symbol.asyncDispose]: close };
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Wraps a close function so a second call returns the first call's promise. */
export function onceAsync(fn: () => Promise<void>): () => Promise<void> {
  let pending: Promise<void> | undefined;
  return function closeOnce() {
    pending ??= fn();
    return pending;
  };
}
