import { isUtf8 } from 'node:buffer';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { GraphQLError, NoSchemaIntrospectionCustomRule, visit, type DocumentNode, type ValidationRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { createGatewayError } from '../errors.js';

/** What the guards read per request, so a reload changes them. */
export interface RequestGuardSettings {
  /** Refuse non-preflighted browser requests without the CSRF header (yoga's CSRF prevention). */
  readonly csrfPrevention: boolean;
  /** Answer `__schema`/`__type`; off also hides "Did you mean ...?" hints. */
  readonly introspection: boolean;
  /** Largest `variables`, in bytes of JSON. */
  readonly maxVariablesBytes: number;
  /** Deepest nesting under `__schema`. */
  readonly maxIntrospectionDepth: number;
}

export interface RequestGuardOptions {
  /** The settings of the generation serving `request`. */
  settings: (request: Request) => RequestGuardSettings;
}

/** The header yoga's CSRF prevention asks of requests a browser would send cross-site without a preflight. */
export const CSRF_HEADER = 'x-graphql-yoga-csrf';

const EMPTY_REFUSALS: Record<number, string> = {
  406: 'None of the accepted media types can be served: accept application/graphql-response+json or application/json (text/event-stream for subscriptions)',
  415: 'Unsupported Content-Type: send application/json (or multipart/form-data with the CSRF header)',
};

const badRequest = (message: string) => createGatewayError('BAD_REQUEST', message, { httpStatus: 400 });

/**
 * Requests yoga answered wrongly, answered right: a POST JSON body that is not valid UTF-8 is refused (yoga
 * decoded it with replacement characters and ran it); a GET whose `variables` or `extensions` is not JSON gets
 * 400 instead of 500 "Unexpected error."; a multipart body with a broken `operations` field gets 400 instead of
 * 200. Also: CSRF prevention, introspection off, a bound on introspection nesting, and a variables size limit.
 * Must come before the body-size plugin, so that its streaming count wraps the parser set here.
 */
export function useRequestGuards(options: RequestGuardOptions): Plugin {
  const csrf = useCSRFPrevention({ requestHeaders: [CSRF_HEADER] });
  const introspectionDepth = new Map<number, ValidationRule>();
  return {
    onRequestParse(payload) {
      const { request, requestParser, setRequestParser } = payload;
      if (options.settings(request).csrfPrevention) {
        try {
          csrf.onRequestParse!(payload as never);
        } catch {
          throw createGatewayError('BAD_REQUEST', `Refused as possible cross-site request forgery: send ${CSRF_HEADER}: 1, or a Content-Type of application/json`, { httpStatus: 403 });
        }
      }
      if (!requestParser) return;
      const parse = requestParser;
      const isJson = request.method === 'POST' && /^application\/(graphql\+)?json\b/i.test(request.headers.get('content-type') ?? '');
      setRequestParser(async (req) => {
        if (isJson) return parseJsonBody(req);
        try {
          return await parse(req);
        } catch (error) {
          throw asBadRequest(error);
        }
      });
    },
    onResponse({ response, setResponse, fetchAPI }) {
      // yoga answers these two with an empty body; a client should read why, as for every other refusal.
      const why = EMPTY_REFUSALS[response.status];
      if (why === undefined || response.headers.get('content-type') !== null) return;
      const headers = new fetchAPI.Headers(response.headers);
      headers.set('content-type', 'application/json; charset=utf-8');
      setResponse(new fetchAPI.Response(JSON.stringify({ errors: [{ message: why, extensions: { code: 'BAD_REQUEST' } }] }), { status: response.status, headers }));
    },
    onParams({ request, params }) {
      const { maxVariablesBytes } = options.settings(request);
      if (params.variables != null && JSON.stringify(params.variables).length > maxVariablesBytes) {
        throw createGatewayError('BAD_REQUEST', `variables are larger than ${maxVariablesBytes} bytes`, { httpStatus: 413 });
      }
    },
    onValidate({ addValidationRule, params, context }) {
      const request = (context as { request?: Request }).request;
      if (!request) return;
      const settings = options.settings(request);
      if (!settings.introspection) addValidationRule(NoSchemaIntrospectionCustomRule);
      else if (hasSchemaField(params.documentAST)) {
        // armor's depth limit skips __schema entirely; this bounds it on its own, only for documents that ask for it.
        let rule = introspectionDepth.get(settings.maxIntrospectionDepth);
        if (!rule) {
          rule = maxDepthRule({
            n: settings.maxIntrospectionDepth,
            ignoreIntrospection: false,
            flattenFragments: true,
            propagateOnRejection: false,
            onReject: [(ctx, error) => ctx?.reportError(createGatewayError('QUERY_TOO_COMPLEX', `Introspection ${error.message.replace(/^Syntax Error: Query depth/, 'depth')}`, { httpStatus: 400 }))],
          }) as ValidationRule;
          introspectionDepth.set(settings.maxIntrospectionDepth, rule);
        }
        addValidationRule(rule);
      }
      if (settings.introspection) return;
      return function hideSuggestions({ result, setResult }) {
        if (result.length === 0) return;
        setResult(result.map((error) => (/Did you mean/.test(error.message) ? new GraphQLError(error.message.replace(/ ?Did you mean .*\?$/, ''), { nodes: error.nodes ?? null, extensions: error.extensions }) : error)));
      };
    },
  };
}

/** Any field named `__schema` in the document: an introspection query. */
function hasSchemaField(document: DocumentNode): boolean {
  // Most documents do not even contain the word: skip the walk for them.
  if (document.loc && !document.loc.source.body.includes('__schema')) return false;
  let found = false;
  visit(document, {
    Field(node) {
      if (node.name.value === '__schema') found = true;
    },
  });
  return found;
}

/** yoga's JSON parsing, but a body that is not valid UTF-8 is refused instead of decoded with U+FFFD. */
async function parseJsonBody(request: Request): Promise<never> {
  const bytes = new Uint8Array(await request.arrayBuffer());
  if (!isUtf8(bytes)) throw badRequest('POST body is not valid UTF-8');
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (error) {
    throw badRequest(`POST body sent invalid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (body === null || typeof body !== 'object') throw badRequest(`POST body is expected to be an object or a batch (array), but received ${body === null ? 'null' : typeof body}`);
  return body as never;
}

/** A parse failure is the client's: 400 with a message, never a 500 or a 200. */
function asBadRequest(error: unknown): unknown {
  if (error instanceof GraphQLError) {
    const http = error.extensions['http'] as { status?: number } | undefined;
    if (http?.status !== undefined) return error;
    return badRequest(error.message);
  }
  if (error instanceof SyntaxError) return badRequest(`A request parameter is not valid JSON (variables or extensions): ${error.message}`);
  if (error instanceof Error && error.name === 'AbortError') return error;
  return badRequest(`The request could not be read: ${error instanceof Error ? error.message : String(error)}`);
}
