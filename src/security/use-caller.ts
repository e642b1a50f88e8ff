import type { Plugin } from 'graphql-yoga';
import { clientAddress, type TrustProxy } from './client-address.js';
import { REQUEST_ID_HEADER, acceptOrCreateRequestId } from '../request/request-id.js';
import { requestStateOf, type Caller } from '../request/state.js';

export interface CallerOptions {
  /** Which proxies' `X-Forwarded-For` entries are believed (`server.trustProxy`), read per request. Default: none. */
  trustProxy?: (request: Request) => TrustProxy;
}

/** The client's IP address: the socket's peer, or the address the trusted proxies say they received it from. */
export function clientIpOf(request: Request, serverContext: unknown, trustProxy: TrustProxy): string {
  const socket = (serverContext as { req?: { socket?: { remoteAddress?: string } } } | undefined)?.req?.socket;
  return clientAddress(socket?.remoteAddress, request.headers.get('x-forwarded-for'), trustProxy);
}

/**
 * Records who is calling before anything else looks: the client IP and a request id, then the operation's name
 * and document once the parameters are parsed. Rate limits, abuse detection, authorization and the audit log
 * read it from the request state.
 */
export function useCaller(options: CallerOptions = {}): Plugin {
  return {
    onRequest({ request, serverContext }) {
      const state = requestStateOf({ request });
      // The request id is the one the request log and the backends see (useRequestId set it, when it runs).
      state.requestId ??= acceptOrCreateRequestId(request.headers.get(REQUEST_ID_HEADER));
      const caller: Caller = { ip: clientIpOf(request, serverContext, options.trustProxy?.(request) ?? false), requestId: state.requestId };
      state.caller = caller;
    },
    onParams({ request, params }) {
      const caller = requestStateOf({ request }).caller;
      if (!caller) return;
      caller.document = params.query;
      caller.operationName = params.operationName ?? (params.query ? /^\s*(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)/.exec(params.query)?.[1] : undefined);
      caller.variables = params.variables ?? undefined;
    },
  };
}

/** The caller of `request`, as `useCaller` recorded it. */
export function callerOf(request: Request): Caller | undefined {
  return requestStateOf({ request }).caller;
}
