import type { DocumentNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { createGatewayError } from '../errors.js';
import { requestStateOf, type Identity } from '../request/state.js';
import { TokenRejectedError, type JwtVerifier } from './jwt-verifier.js';

/** What the auth plugin reads per request (the request's generation), so a reload changes it. */
export interface AuthSettings {
  /** Undefined: auth is off, no token is verified (an Authorization header is only what `forwardHeaders` make of it). */
  readonly verifier: JwtVerifier | undefined;
  /** `auth.default`: with `authenticated`, every request needs a token. */
  readonly defaultRule: 'public' | 'authenticated';
  /** The challenge's realm. */
  readonly realm: string;
}

export interface AuthOptions {
  settings: (request: Request) => AuthSettings;
  /** Whether an anonymous caller may not run `document`: some field it selects reaches an operation that needs a token. */
  needsToken: (request: Request, document: DocumentNode) => boolean;
  /** Told about every refusal (abuse detection counts them). */
  onRefused?: (request: Request, reason: string) => void;
}

/** Quoted-string content of a challenge parameter (RFC 9110): no quotes or backslashes, no control characters. */
const quoted = (text: string) => text.replace(/["\\\x00-\x1f]/g, ' ');

/**
 * Authentication, once per request: a bearer token is verified before anything runs, and the identity stored in
 * the request state for authorization (the pipeline's auth stage), cache keys and claim headers. A bad token is
 * answered 401 whatever the query; no token is answered 401 when `auth.default` is `authenticated`, or when the
 * document selects a field whose operation (root field or link target) needs a token. Both carry
 * `WWW-Authenticate: Bearer` (RFC 6750) and `extensions.reason`, so a client can tell why.
 */
export function useAuth(options: AuthOptions): Plugin {
  function unauthenticated(request: Request, realm: string, reason: string, message: string, error?: 'invalid_token' | 'invalid_request') {
    options.onRefused?.(request, reason);
    const challenge = error ? `Bearer realm="${quoted(realm)}", error="${error}", error_description="${quoted(message)}"` : `Bearer realm="${quoted(realm)}"`;
    return createGatewayError('UNAUTHENTICATED', message, { httpStatus: 401, httpHeaders: { 'WWW-Authenticate': challenge }, extensions: { reason } });
  }

  function refuseAnonymous(request: Request, document: DocumentNode): Error | undefined {
    const settings = options.settings(request);
    if (!settings.verifier || requestStateOf({ request }).caller?.identity) return undefined;
    if (!options.needsToken(request, document)) return undefined;
    return unauthenticated(request, settings.realm, 'token_required', 'This operation needs a valid bearer token (Authorization: Bearer <token>)');
  }

  function remember(request: Request, identity: Identity): void {
    const state = requestStateOf({ request });
    if (state.caller) state.caller.identity = identity;
    else state.caller = { ip: 'unknown', requestId: state.requestId ?? '', identity };
  }

  return {
    // Not async: a token verified moments ago (every request of a client after its first) answers without a
    // promise; only a new token waits for its signature check.
    onParams({ request }) {
      const settings = options.settings(request);
      if (!settings.verifier) return undefined;
      const header = request.headers.get('authorization');
      if (header === null) {
        if (settings.defaultRule === 'authenticated') throw unauthenticated(request, settings.realm, 'token_required', 'A valid bearer token is required (Authorization: Bearer <token>)');
        return undefined;
      }
      const token = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i.exec(header)?.[1];
      if (token === undefined) throw unauthenticated(request, settings.realm, 'malformed', 'The Authorization header must be "Bearer <token>"', 'invalid_request');
      const known = settings.verifier.known(token);
      if (known) return void remember(request, known);
      return settings.verifier.verify(token).then(
        (identity) => remember(request, identity),
        (error: unknown) => {
          if (!(error instanceof TokenRejectedError)) throw error;
          throw unauthenticated(request, settings.realm, error.reason, `The bearer token was refused: ${error.message}`, 'invalid_token');
        },
      );
    },
    onExecute({ args, setResultAndStopExecution }) {
      const request = (args.contextValue as { request?: Request }).request;
      const refused = request && refuseAnonymous(request, args.document);
      if (refused) setResultAndStopExecution({ errors: [refused as never] });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const request = (args.contextValue as { request?: Request }).request;
      const refused = request && refuseAnonymous(request, args.document);
      if (refused) setResultAndStopExecution({ errors: [refused as never] });
    },
  };
}
