import { Pool, type Dispatcher, type FormData } from 'undici';
import { TransportError, type ConvertedSource, type HttpCaching, type OperationSpec, type Transport, type TransportCall } from '../types.js';
import { deadlineHeader, httpCallFailure, retryAfterMs } from '../call-failure.js';
import type { OpenApiOperation } from './operation.js';
import { encodeBody } from './encode-body.js';
import { addHeaderParameters, buildRequestPath, cookieHeader } from './serialize-parameters.js';
import { parseJsonLosslessly } from './int64.js';
import { applyShape } from './shape.js';
import { checkHttpHealth } from '../http-health-check.js';

export interface OpenApiTransportOptions {
  /** Headers sent on every call (API keys, ...). Forwarded client headers and header parameters override them. Default: none. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Keep-alive connections per backend origin. Default: 128. */
  readonly connections?: number;
  /** Query parameters sent on every call (an API key the backend wants in the query string). Default: none. */
  readonly queryParameters?: Readonly<Record<string, string>>;
}

const JSON_CONTENT_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;

interface Endpoint {
  readonly pool: Pool;
  /** Path of the endpoint URL without a trailing slash, put before every operation path. */
  readonly basePath: string;
}

/** Longest error body text quoted in an error message. */
const MAX_MESSAGE_LENGTH = 500;

/** The message of an error body: JSON `message`, `error` (or `error.message`), `detail`/`title` (RFC 9457), `errors[0].message`; else short plain text. */
function errorMessageOf(text: string, contentType: string | undefined): string | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    const plain = text.trim();
    return plain !== '' && (contentType === undefined || contentType.startsWith('text/plain')) ? plain.slice(0, MAX_MESSAGE_LENGTH) : undefined;
  }
  if (typeof body === 'string') return body.slice(0, MAX_MESSAGE_LENGTH);
  if (typeof body !== 'object' || body === null) return undefined;
  const { message, error, detail, title, errors } = body as Record<string, unknown>;
  const nested = typeof error === 'object' && error !== null ? (error as Record<string, unknown>)['message'] : undefined;
  const first = Array.isArray(errors) && typeof errors[0] === 'object' && errors[0] !== null ? (errors[0] as Record<string, unknown>)['message'] : undefined;
  const found = [message, error, nested, detail, title, first].find((candidate): candidate is string => typeof candidate === 'string' && candidate !== '');
  return found?.slice(0, MAX_MESSAGE_LENGTH);
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
    const contentType = headerText(response.headers['content-type']);
    if (operation.response.kind === 'binary') {
      const bytes = Buffer.from(await response.body.arrayBuffer());
      return status === 204 || bytes.length === 0 ? null : bytes.toString('base64');
    }
    const text = await response.body.text();
    if (status === 204 || text === '') return null;
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
      data = operation.response.int64 ? parseJsonLosslessly(text) : JSON.parse(text);
    } catch (error) {
      throw new TransportError('bad-response', `${label} answered with a body that is not valid JSON`, { status }, { cause: error });
    }
    return operation.response.shape ? applyShape(data, operation.response.shape) : data;
  }
  if (status >= 400) {
    // The status and the body's own message travel in `details` (→ the GraphQL error's extensions) for 4xx and 5xx alike.
    const message = errorMessageOf(await response.body.text(), headerText(response.headers['content-type']));
    const details = message === undefined ? { status } : { status, message };
    // 429 and 503 may say when to come back; the retry stage waits that long (bounded) or not at all.
    const retryAfter = status === 429 || status === 503 ? retryAfterMs(response.headers['retry-after']) : undefined;
    const retry = retryAfter === undefined ? {} : { retryAfterMs: retryAfter };
    // The client sees SOURCE_BAD_RESPONSE with the status and message, except for 502/503/504, which say the
    // backend is not there (SOURCE_UNAVAILABLE). The failure kind tells the pipeline what it may do: a 4xx is
    // neither failed over nor hidden behind stale data, a 5xx is both.
    if (status < 500) throw new TransportError('rejected', message ?? `${label} answered ${status}`, details, { code: 'SOURCE_BAD_RESPONSE', ...retry });
    const code = status >= 502 && status <= 504 ? 'SOURCE_UNAVAILABLE' : 'SOURCE_BAD_RESPONSE';
    throw new TransportError('unavailable', message === undefined ? `${label} answered ${status}` : `${label} answered ${status}: ${message}`, details, { code, ...retry });
  }
  await response.body.dump();
  // undici follows no redirects; a 1xx/3xx here is not an answer we can use.
  throw new TransportError('bad-response', `${label} answered ${status}`, { status });
}

/** RFC 9111 as far as a shared cache in front of one backend needs it. */
function readCachingHeaders(http: HttpCaching, headers: Dispatcher.ResponseData['headers']): void {
  const cacheControl = headerText(headers['cache-control'])?.toLowerCase();
  if (cacheControl !== undefined) {
    const directives = new Map<string, string | undefined>();
    for (const part of cacheControl.split(',')) {
      const [name, value] = part.trim().split('=', 2) as [string, string | undefined];
      if (name) directives.set(name, value?.replace(/^"|"$/g, ''));
    }
    if (directives.has('no-store') || directives.has('no-cache')) http.noStore = true;
    if (directives.has('private')) http.private = true;
    const seconds = Number(directives.get('s-maxage') ?? directives.get('max-age'));
    if (Number.isFinite(seconds) && seconds >= 0) http.maxAge = seconds;
  }
  const etag = headerText(headers['etag']);
  const lastModified = headerText(headers['last-modified']);
  if (etag !== undefined || lastModified !== undefined) {
    http.received = { ...(etag !== undefined ? { etag } : {}), ...(lastModified !== undefined ? { lastModified } : {}) };
  }
}

/**
 * HTTP transport for an OpenAPI source: one keep-alive undici `Pool` per backend origin, made on first use and
 * closed on dispose. Everything about an operation's URL, parameters and shaping was worked out at conversion.
 */
export function createOpenApiTransport(source: ConvertedSource<OpenApiOperation>, options: OpenApiTransportOptions = {}): Transport {
  const connections = options.connections ?? 128;
  if (!Number.isInteger(connections) || connections < 1) throw new RangeError(`connections must be a positive integer, got ${connections}`);
  const staticHeaders = Object.fromEntries(Object.entries(options.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
  const staticQuery = Object.entries(options.queryParameters ?? {}).map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`);
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
    const headers: Record<string, string> = { ...staticHeaders, ...call.headers, ...deadlineHeader(call.deadline) };
    addHeaderParameters(operation, args, headers);
    if (operation.cookieParameters.length > 0) {
      const cookie = cookieHeader(operation, args, headers['cookie']);
      if (cookie !== undefined) headers['cookie'] = cookie;
    }
    let body: string | Buffer | FormData | null = null;
    if (operation.body) {
      const input = args[operation.body.argName];
      if (input !== undefined && input !== null) {
        const encoded = encodeBody(operation.body, input);
        body = encoded.body;
        if (encoded.contentType !== undefined) headers['content-type'] = encoded.contentType;
      }
    }
    if (operation.response.kind === 'json') headers['accept'] ??= 'application/json';
    const validators = call.http?.validators;
    if (validators?.etag !== undefined) headers['if-none-match'] = validators.etag;
    if (validators?.lastModified !== undefined) headers['if-modified-since'] = validators.lastModified;
    try {
      const response = await pool.request({
        path: buildRequestPath(operation, basePath, args, staticQuery),
        method: operation.method as Dispatcher.HttpMethod,
        headers,
        body,
        signal: call.signal,
      });
      if (call.http) {
        readCachingHeaders(call.http, response.headers);
        if (response.statusCode === 304 && validators) {
          await response.body.dump();
          call.http.notModified = true;
          return undefined;
        }
      }
      return await readResponse(label, operation, response);
    } catch (error) {
      throw httpCallFailure(error, label, call.signal);
    }
  }

  return {
    call: callOpenApi,
    checkHealth: (endpoint, check, signal) => checkHttpHealth(endpointFor(endpoint).pool, endpoint, check.path ?? '/', signal),
    async [Symbol.asyncDispose]() {
      disposed = true;
      await Promise.all([...pools.values()].map((pool) => pool.close()));
      pools.clear();
      endpoints.clear();
    },
  };
}
