import { createHash, timingSafeEqual } from 'node:crypto';
import type { Plugin } from 'graphql-yoga';
import type { AdminStatus } from './status.js';
import { DASHBOARD_HTML } from './dashboard-page.js';

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
 *   POST /admin/api/cache/purge {source, operation?, args?}   drop cached entries
 *   GET  /admin/api/throttled              clients throttled by abnormal-behaviour detection
 */
export function useAdmin(options: AdminOptions): Plugin {
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (url.pathname === '/admin' || url.pathname === '/admin/') {
        endResponse(new fetchAPI.Response(DASHBOARD_HTML, { headers: { 'content-type': 'text/html; charset=utf-8' } }));
        return;
      }
      if (!url.pathname.startsWith('/admin/api/')) return;
      const token = options.token();
      if (token === undefined) return endResponse(json(fetchAPI, 404, { error: 'the admin API is disabled: set admin.token in the config' }));
      const given = /^Bearer (.+)$/.exec(request.headers.get('authorization') ?? '')?.[1];
      if (given === undefined || !sameToken(given, token)) return endResponse(json(fetchAPI, 401, { error: 'missing or wrong admin token' }));

      const route = `${request.method} ${url.pathname.slice('/admin/api/'.length)}`;
      if (route === 'GET status') return endResponse(json(fetchAPI, 200, await options.status()));
      if (route === 'GET throttled') return endResponse(json(fetchAPI, 200, { throttled: options.throttled?.() ?? [] }));
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
