import { Pool, type Dispatcher } from 'undici';
import { TransportError, type ConvertedSource, type OperationSpec, type Transport, type TransportCall } from '../types.js';
import type { OpenApiOperation } from './operation.js';
import { addHeaderParameters, buildRequestPath } from './serialize-parameters.js';
import { applyShape } from './shape.js';

export interface OpenApiTransportOptions {
  /** Headers sent on every call (API keys, ...). Forwarded client headers and header parameters override them. Default: none. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Keep-alive connections per backend origin. Default: 128. */
  readonly connections?: number;
}

const JSON_CONTENT_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;

/** undici's own deadlines (connect, headers, body) are timeouts too, not a down backend. */
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

interface Endpoint {
  readonly pool: Pool;
  /** Path of the endpoint URL without a trailing slash, put before every operation path. */
  readonly basePath: string;
}

function isTimeoutReason(reason: unknown): boolean {
  return reason instanceof Error && reason.name === 'TimeoutError';
}

/** `message` or `error` of a JSON error body, when it is a string. */
function errorMessageOf(text: string): string | undefined {
  try {
    const body: unknown = JSON.parse(text);
    if (typeof body !== 'object' || body === null) return undefined;
    const { message, error } = body as { message?: unknown; error?: unknown };
    return typeof message === 'string' ? message : typeof error === 'string' ? error : undefined;
  } catch {
    return undefined;
  }
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

async function readResponse(label: string, operation: OpenApiOperation, response: Dispatcher.ResponseData): Promise<unknown> {
  const status = response.statusCode;
  if (status >= 200 && status < 300) {
    if (operation.response.kind === 'none') {
      await response.body.dump();
      return true;
    }
    const text = await response.body.text();
    if (status === 204 || text === '') return null;
    const contentType = headerText(response.headers['content-type']);
    if (operation.response.kind === 'text') {
      if (contentType !== undefined && !contentType.startsWith('text/')) {
        throw new TransportError('bad-response', `${label} answered with ${contentType}, not text`, { status });
      }
      return text;
    }
    if (contentType !== undefined && !JSON_CONTENT_TYPE.test(contentType)) {
      throw new TransportError('bad-response', `${label} answered with ${contentType}, not JSON`, { status });
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (error) {
      throw new TransportError('bad-response', `${label} answered with a body that is not valid JSON`, { status }, { cause: error });
    }
    return operation.response.shape ? applyShape(data, operation.response.shape) : data;
  }
  if (status >= 400 && status < 500) {
    const message = errorMessageOf(await response.body.text());
    throw new TransportError('rejected', message ?? `${label} answered ${status}`, { status });
  }
  await response.body.dump();
  if (status >= 500) throw new TransportError('unavailable', `${label} answered ${status}`, { status });
  // undici follows no redirects; a 1xx/3xx here is not an answer we can use.
  throw new TransportError('bad-response', `${label} answered ${status}`, { status });
}

/** What a failed call rejects with: our own errors as they are, the abort reason unless it is a timeout, else unavailable. */
function toCallFailure(error: unknown, label: string, signal: AbortSignal): unknown {
  if (error instanceof TransportError) return error;
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    if (reason instanceof TransportError) return reason;
    return isTimeoutReason(reason) ? new TransportError('timeout', `${label} did not answer in time`, {}, { cause: reason }) : reason;
  }
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && TIMEOUT_CODES.has(code)) return new TransportError('timeout', `${label} did not answer in time (${code})`, {}, { cause: error });
  const reason = typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
  return new TransportError('unavailable', `${label} could not be reached (${reason})`, {}, { cause: error });
}

/**
 * HTTP transport for an OpenAPI source: one keep-alive undici `Pool` per backend origin, made on first use and
 * closed on dispose. Everything about an operation's URL, parameters and shaping was worked out at conversion.
 */
export function createOpenApiTransport(source: ConvertedSource<OpenApiOperation>, options: OpenApiTransportOptions = {}): Transport {
  const connections = options.connections ?? 128;
  if (!Number.isInteger(connections) || connections < 1) throw new RangeError(`connections must be a positive integer, got ${connections}`);
  const staticHeaders = Object.fromEntries(Object.entries(options.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
  const pools = new Map<string, Pool>();
  const endpoints = new Map<string, Endpoint>();
  let disposed = false;

  function endpointFor(endpoint: string): Endpoint {
    const known = endpoints.get(endpoint);
    if (known) return known;
    const url = new URL(endpoint);
    let pool = pools.get(url.origin);
    if (!pool) {
      pool = new Pool(url.origin, { connections });
      pools.set(url.origin, pool);
    }
    const created = { pool, basePath: url.pathname.replace(/\/+$/, '') };
    endpoints.set(endpoint, created);
    return created;
  }

  async function callOpenApi(endpoint: string, spec: OperationSpec, args: Readonly<Record<string, unknown>>, call: TransportCall): Promise<unknown> {
    const operation = source.operations.get(`${spec.rootType}.${spec.fieldName}`);
    if (!operation) throw new Error(`source ${source.name} has no operation ${spec.rootType}.${spec.fieldName}`);
    if (disposed) throw new Error(`the transport of source ${source.name} is disposed`);
    const label = `${source.name} ${operation.method} ${operation.path}`;
    const { pool, basePath } = endpointFor(endpoint);
    const headers: Record<string, string> = { ...staticHeaders, ...call.headers };
    addHeaderParameters(operation, args, headers);
    let body: string | null = null;
    if (operation.body) {
      const input = args[operation.body.argName];
      if (input !== undefined) {
        body = JSON.stringify(operation.body.shape ? applyShape(input, operation.body.shape) : input);
        headers['content-type'] = operation.body.contentType;
      }
    }
    if (operation.response.kind === 'json') headers['accept'] ??= 'application/json';
    try {
      const response = await pool.request({
        path: buildRequestPath(operation, basePath, args),
        method: operation.method as Dispatcher.HttpMethod,
        headers,
        body,
        signal: call.signal,
      });
      return await readResponse(label, operation, response);
    } catch (error) {
      throw toCallFailure(error, label, call.signal);
    }
  }

  return {
    call: callOpenApi,
    async [Symbol.asyncDispose]() {
      disposed = true;
      await Promise.all([...pools.values()].map((pool) => pool.close()));
      pools.clear();
      endpoints.clear();
    },
  };
}
