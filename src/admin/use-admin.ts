import { createHash, timingSafeEqual } from 'node:crypto';
import type { Plugin } from 'graphql-yoga';
import type { AdminStatus } from './status.js';
import { DASHBOARD_HTML } from './dashboard-page.js';
import { dashboardAsset } from './dashboard-assets.js';
import { liveRoute, type LiveAdmin } from './live-routes.js';
import { statsSnapshot, statsTick, type StatsCursor, type StatsSource } from './stats.js';

export interface AdminOptions {
  /** The current `admin.token`; undefined disables the API. Read per request so a reload can change it. */
  token: () => string | undefined;
  status: () => Promise<AdminStatus>;
  /**
   * Removes cached entries of a source, of one of its operations (field name or operationId), or of one call of
   * it (its arguments, for every caller): the number removed, or undefined when the operation is unknown.
   */
  purge: (source: string, operation?: string, args?: Record<string, unknown>) => Promise<number | undefined>;
  /** Source names that exist now, to reject a purge of a typo instead of purging nothing quietly. */
  sourceNames: () => readonly string[];
  /** Clients throttled now by abnormal-behaviour detection (`GET /admin/api/throttled`). Default: none listed. */
  throttled?: () => readonly unknown[];
  /** What `/admin/api/stats` reports: the history, events and sources. Without it the route answers 404. */
  stats?: StatsSource;
  /** Milliseconds between two `tick` events of the stats stream. Default 1000. */
  statsIntervalMs?: number;
  /** Live operation's routes (sources, links, schema, reload, cluster; `live-routes.ts`). Default: not served (404). */
  live?: () => LiveAdmin | undefined;
  /**
   * Fields added to the status and the stats (JSON and the stream's `snapshot`): with `serve --workers N`,
   * `worker`, the worker that answered (each keeps its own history). Default none.
   */
  identity?: () => Record<string, unknown>;
}

const PURGE_USAGE = 'body must be JSON: {"source": "<name>", "operation"?: "<field or operationId>", "args"?: {...} (needs operation)}';

function json(fetchAPI: { Response: typeof Response }, status: number, body: unknown): Response {
  return new fetchAPI.Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' } });
}

/**
 * Constant-time in the token's content and its length: both sides are hashed to 32 bytes first, so neither a
 * wrong prefix nor a wrong length answers faster.
 */
export function sameToken(given: string, expected: string): boolean {
  return timingSafeEqual(createHash('sha256').update(given).digest(), createHash('sha256').update(expected).digest());
}

/**
 * `/admin`: the dashboard page (public: it holds no data). `/admin/api/*`: JSON, only with
 * `Authorization: Bearer <admin.token>`.
 *   GET  /admin/api/status                 sources, call outcomes, cache events
 *   GET  /admin/api/stats                  the dashboard's data: JSON, or with `Accept: text/event-stream` an SSE
 *                                          stream (`snapshot`, then a `tick` a second)
 * `/admin/assets/*`: the dashboard's script and its bundled chart library (code, no data: public).
 *   POST /admin/api/cache/purge {source, operation?, args?}   drop cached entries
 *   GET  /admin/api/throttled              clients throttled by abnormal-behaviour detection
 * and, under live operation, the routes of `live-routes.ts` (sources, links, schema, reload, cluster).
 */
export function useAdmin(options: AdminOptions): Plugin {
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (url.pathname === '/admin' || url.pathname === '/admin/') {
        endResponse(new fetchAPI.Response(DASHBOARD_HTML, { headers: { 'content-type': 'text/html; charset=utf-8' } }));
        return;
      }
      if (url.pathname.startsWith('/admin/assets/')) {
        const asset = dashboardAsset(url.pathname.slice('/admin/assets/'.length));
        endResponse(asset ? new fetchAPI.Response(asset.body, { headers: { 'content-type': asset.type, 'cache-control': 'no-cache' } }) : json(fetchAPI, 404, { error: 'no such asset' }));
        return;
      }
      if (!url.pathname.startsWith('/admin/api/')) return;
      const token = options.token();
      if (token === undefined) return endResponse(json(fetchAPI, 404, { error: 'the admin API is disabled: set admin.token in the config' }));
      const given = /^Bearer (.+)$/.exec(request.headers.get('authorization') ?? '')?.[1];
      if (given === undefined || !sameToken(given, token)) return endResponse(json(fetchAPI, 401, { error: 'missing or wrong admin token' }));

      const route = `${request.method} ${url.pathname.slice('/admin/api/'.length)}`;
      if (route === 'GET status') {
        const live = options.live?.();
        return endResponse(json(fetchAPI, 200, { ...(await options.status()), ...(live ? { live: live.status() } : {}), ...options.identity?.() }));
      }
      const live = options.live?.();
      const answered = live ? await liveRoute(live, request, url, fetchAPI) : undefined;
      if (answered) return endResponse(answered);
      if (route === 'GET throttled') return endResponse(json(fetchAPI, 200, { throttled: options.throttled?.() ?? [] }));
      if (route === 'GET stats' && options.stats) {
        const stats = options.stats;
        if (!(request.headers.get('accept') ?? '').includes('text/event-stream')) return endResponse(json(fetchAPI, 200, { ...statsSnapshot(stats), ...options.identity?.() }));
        return endResponse(statsStream(fetchAPI, stats, request.signal, options.statsIntervalMs ?? 1000, options.identity?.() ?? {}));
      }
      if (route === 'POST cache/purge') {
        let body: unknown;
        try {
          body = await request.json();
        } catch {
          return endResponse(json(fetchAPI, 400, { error: PURGE_USAGE }));
        }
        const { source, operation, args } = (body ?? {}) as { source?: unknown; operation?: unknown; args?: unknown };
        const argsOk = args === undefined || (typeof args === 'object' && args !== null && !Array.isArray(args) && operation !== undefined);
        if (typeof source !== 'string' || (operation !== undefined && typeof operation !== 'string') || !argsOk) {
          return endResponse(json(fetchAPI, 400, { error: PURGE_USAGE }));
        }
        if (!options.sourceNames().includes(source)) return endResponse(json(fetchAPI, 404, { error: `unknown source "${source}"` }));
        const removed = await options.purge(source, operation, args as Record<string, unknown> | undefined);
        if (removed === undefined) return endResponse(json(fetchAPI, 404, { error: `source "${source}" has no operation "${String(operation)}"` }));
        return endResponse(json(fetchAPI, 200, { source, operation: operation ?? null, removed }));
      }
      return endResponse(json(fetchAPI, 404, { error: `no admin route ${route}` }));
    },
  };
}

/**
 * The stats as Server-Sent Events: `snapshot` at once, then `tick` every `intervalMs` until the client goes
 * away. (The page reads it with fetch, since EventSource cannot send the Authorization header.)
 */
function statsStream(fetchAPI: { Response: typeof Response; ReadableStream: typeof ReadableStream }, stats: StatsSource, signal: AbortSignal, intervalMs: number, identity: Record<string, unknown>): Response {
  const encoder = new TextEncoder();
  const cursor: StatsCursor = { second: 0, eventSeq: 0 };
  let timer: ReturnType<typeof setInterval> | undefined;
  const stop = () => clearInterval(timer);
  const body = new fetchAPI.ReadableStream<Uint8Array>({
    start(controller) {
      const send = (event: string, data: unknown) => controller.enqueue(encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`));
      send('snapshot', { ...statsSnapshot(stats, cursor), ...identity });
      timer = setInterval(function sendStatsTick() {
        try {
          send('tick', statsTick(stats, cursor));
        } catch {
          stop(); // the stream was closed under us
        }
      }, intervalMs);
      // An open dashboard must not keep the process alive on shutdown.
      timer.unref();
      signal.addEventListener(
        'abort',
        () => {
          stop();
          try {
            controller.close();
          } catch {
            // already closed
          }
        },
        { once: true },
      );
    },
    cancel: stop,
  });
  return new fetchAPI.Response(body, { headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-store', 'x-accel-buffering': 'no' } });
}
