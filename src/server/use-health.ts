import type { Plugin } from 'graphql-yoga';
import type { Readiness } from './readiness.js';

export interface HealthOptions {
  /** Judges readiness (`createReadiness`): a generation serves, not shutting down, required sources reachable. */
  readiness: Pick<Readiness, 'report'>;
}

/**
 * `/healthz`: the process is up and answering (liveness: never depends on a backend). `/readyz`: 200 when the
 * node takes traffic, else 503; either way a JSON body says why (`ready`, `reasons`, each source's state).
 */
export function useHealth(options: HealthOptions): Plugin {
  return {
    async onRequest({ url, endResponse, fetchAPI }) {
      if (url.pathname === '/healthz') endResponse(new fetchAPI.Response('ok\n', { status: 200, headers: { 'content-type': 'text/plain' } }));
      else if (url.pathname === '/readyz') {
        const report = await options.readiness.report();
        endResponse(new fetchAPI.Response(JSON.stringify(report), { status: report.ready ? 200 : 503, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' } }));
      }
    },
  };
}
