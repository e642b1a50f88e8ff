import type { Plugin } from 'graphql-yoga';

export interface HealthOptions {
  /** True once a schema is loaded and the gateway can answer queries. */
  isReady: () => boolean;
}

/** `/healthz`: the process is up. `/readyz`: it has a working generation and takes traffic. */
export function useHealth(options: HealthOptions): Plugin {
  return {
    onRequest({ url, endResponse, fetchAPI }) {
      if (url.pathname === '/healthz') endResponse(new fetchAPI.Response('ok\n', { status: 200, headers: { 'content-type': 'text/plain' } }));
      else if (url.pathname === '/readyz') {
        const ready = options.isReady();
        endResponse(new fetchAPI.Response(ready ? 'ready\n' : 'not ready\n', { status: ready ? 200 : 503, headers: { 'content-type': 'text/plain' } }));
      }
    },
  };
}
