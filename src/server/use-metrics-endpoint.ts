import type { Plugin } from 'graphql-yoga';
import { sameToken } from '../admin/use-admin.js';
import type { GatewayMetrics } from '../observability/metrics.js';

/**
 * `/metrics` in the Prometheus text format, and a count of GraphQL responses by status. With `token` (the current
 * `admin.metricsToken`), a scrape must send `Authorization: Bearer <token>` (401 otherwise). `scrape` makes the
 * text instead of the gateway's own registry (a worker of `serve --workers N`: the series of every worker that
 * answered, merged by the primary, with `interchange_workers_reporting` saying how many of `interchange_workers`
 * they are, so an answer missing a worker that is starting says so); when it fails the answer is 503.
 */
export function useMetricsEndpoint(metrics: GatewayMetrics, token: () => string | undefined = () => undefined, scrape?: () => Promise<string>): Plugin {
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (url.pathname !== '/metrics') return;
      const expected = token();
      if (expected !== undefined) {
        const given = /^Bearer (.+)$/.exec(request.headers.get('authorization') ?? '')?.[1];
        if (given === undefined || !sameToken(given, expected)) {
          endResponse(new fetchAPI.Response('missing or wrong metrics token\n', { status: 401, headers: { 'content-type': 'text/plain', 'www-authenticate': 'Bearer realm="metrics"' } }));
          return;
        }
      }
      let text: string;
      try {
        text = scrape ? await scrape() : await metrics.registry.metrics();
      } catch (error) {
        endResponse(new fetchAPI.Response(`metrics could not be collected: ${error instanceof Error ? error.message : String(error)}\n`, { status: 503, headers: { 'content-type': 'text/plain' } }));
        return;
      }
      endResponse(new fetchAPI.Response(text, { headers: { 'content-type': metrics.registry.contentType } }));
    },
    onResponse({ response }) {
      metrics.httpRequests.inc({ status: String(response.status) });
    },
  };
}
