import { timingSafeEqual } from 'node:crypto';
import type { Plugin } from 'graphql-yoga';
import type { AdminStatus } from './status.js';
import { DASHBOARD_HTML } from './dashboard-page.js';

export interface AdminOptions {
  /** The current `admin.token`; undefined disables the API. Read per request so a reload can change it. */
  token: () => string | undefined;
  status: () => Promise<AdminStatus>;
  /** Removes cached entries of a source (and operation): the number removed. */
  purge: (source: string, operation?: string) => Promise<number>;
  /** Source names that exist now, to reject a purge of a typo instead of purging nothing quietly. */
  sourceNames: () => readonly string[];
}

function json(fetchAPI: { Response: typeof Response }, status: number, body: unknown): Response {
  return new fetchAPI.Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' } });
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * `/admin`: the dashboard page (public: it holds no data). `/admin/api/*`: JSON, only with
 * `Authorization: Bearer <admin.token>`.
 *   GET  /admin/api/status                 sources, call outcomes, cache events
 *   POST /admin/api/cache/purge {source, operation?}   drop cached entries
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
      if (route === 'POST cache/purge') {
        let body: unknown;
        try {
          body = await request.json();
        } catch {
          return endResponse(json(fetchAPI, 400, { error: 'body must be JSON: {"source": "...", "operation"?: "..."}' }));
        }
        const { source, operation } = (body ?? {}) as { source?: unknown; operation?: unknown };
        if (typeof source !== 'string' || (operation !== undefined && typeof operation !== 'string')) {
          return endResponse(json(fetchAPI, 400, { error: 'body must be {"source": "<name>", "operation"?: "<operationId>"}' }));
        }
        if (!options.sourceNames().includes(source)) return endResponse(json(fetchAPI, 404, { error: `unknown source "${source}"` }));
        return endResponse(json(fetchAPI, 200, { source, operation: operation ?? null, removed: await options.purge(source, operation) }));
      }
      return endResponse(json(fetchAPI, 404, { error: `no admin route ${route}` }));
    },
  };
}
