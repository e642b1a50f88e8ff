import type { Plugin } from 'graphql-yoga';
import type { GatewayMetrics } from '../observability/metrics.js';

/** `/metrics` in the Prometheus text format, and a count of GraphQL responses by status. */
export function useMetricsEndpoint(metrics: GatewayMetrics): Plugin {
  return {
    async onRequest({ url, endResponse, fetchAPI }) {
      if (url.pathname !== '/metrics') return;
      endResponse(new fetchAPI.Response(await metrics.registry.metrics(), { headers: { 'content-type': metrics.registry.contentType } }));
    },
    onResponse({ response }) {
      metrics.httpRequests.inc({ status: String(response.status) });
    },
  };
}
