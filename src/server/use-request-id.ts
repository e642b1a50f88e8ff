import type { Plugin } from 'graphql-yoga';
import { acceptOrCreateRequestId, REQUEST_ID_HEADER } from '../request/request-id.js';
import { peekRequestState, requestStateOf } from '../request/state.js';

/**
 * `x-request-id`: the client's (when valid) or a generated one, kept in the request's state (the source calls
 * send it to the backends, the log line carries it) and returned on every response, whatever answered it.
 */
export function useRequestId(): Plugin {
  return {
    onRequest({ request }) {
      requestStateOf({ request }).requestId = acceptOrCreateRequestId(request.headers.get(REQUEST_ID_HEADER));
    },
    onResponse({ request, response }) {
      const id = peekRequestState(request)?.requestId;
      if (id !== undefined) response.headers.set(REQUEST_ID_HEADER, id);
    },
  };
}
