import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Gateway } from './create-gateway.js';
import { attachGraphqlWs } from './graphql-ws.js';

export interface RunningServer extends AsyncDisposable {
  readonly server: Server;
  /** `http://host:port` */
  readonly origin: string;
  /** `http://host:port/graphql` */
  readonly url: string;
  close(): Promise<void>;
}

/** Serves a gateway on node:http. Port 0 picks a free port; `url` tells which. */
export async function listen(gateway: Gateway, options: { port: number; host: string; drainMs?: number }): Promise<RunningServer> {
  const server = createServer(gateway.yoga as never);
  // Behind a load balancer, idle keep-alive sockets must outlive the balancer's, or requests race a close.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Subscriptions over WebSocket beside yoga's SSE, on the same port and path.
  const graphqlWs = attachGraphqlWs(server, gateway);
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const origin = `http://${host}:${address.port}`;
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= graphqlWs.close().then(
      () =>
        new Promise<void>((resolve) => {
          // In-flight requests get `drainMs` (default 5 s) to finish; then their sockets are cut so a stuck
          // client cannot hold the shutdown forever.
          const cut = setTimeout(() => server.closeAllConnections(), options.drainMs ?? 5_000);
          cut.unref();
          server.close(() => {
            clearTimeout(cut);
            resolve();
          });
          server.closeIdleConnections();
        }),
    ));
  return { server, origin, url: `${origin}/graphql`, close, [Symbol.asyncDispose]: close };
}
