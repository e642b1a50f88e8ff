import { EnvelopArmor, EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import type { GraphQLError, ValidationContext } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { createGatewayError } from '../errors.js';

/** Limits on the shape of a query, checked before anything runs. */
export interface QueryLimits {
  /** Deepest field nesting. Introspection is exempt. */
  maxDepth: number;
  /** Aliases in one operation. */
  maxAliases: number;
  /** Lexical tokens in the document: bounds parsing work. */
  maxTokens: number;
  /** graphql-armor's cost estimate (objects, scalars, depth). */
  maxCost: number;
  /** Directives in one operation. */
  maxDirectives: number;
  /** Hide "Did you mean ...?" suggestions, which let anyone map the schema without introspection. */
  blockFieldSuggestions: boolean;
}

/**
 * graphql-armor's protections, made to answer like every other request error: `extensions.code:
 * "QUERY_TOO_COMPLEX"`. By default armor throws out of validation (yoga masks that as an unexpected error);
 * here rejections are reported as validation errors instead, so they follow the GraphQL-over-HTTP spec like any
 * invalid query: HTTP 400 for `application/graphql-response+json` clients, 200 for legacy `application/json` ones.
 */
export function useQueryLimits(limits: QueryLimits | ((request: Request | undefined) => QueryLimits)): Plugin {
  if (typeof limits !== 'function') return EnvelopArmorPlugin(armorOptions(limits)) as Plugin;
  // Per request (a reload changes the limits): armor's protections for each limits object, built once, run in
  // its place. armor's plugins only use onParse (the token count, through the parse function) and onValidate.
  const built = new WeakMap<QueryLimits, Plugin[]>();
  const protectionsOf = (context: unknown) => {
    const current = limits((context as { request?: Request } | undefined)?.request);
    let plugins = built.get(current);
    if (!plugins) built.set(current, (plugins = new EnvelopArmor(armorOptions(current)).protect().plugins as unknown as Plugin[]));
    return plugins;
  };
  return {
    onParse(payload) {
      for (const plugin of protectionsOf(payload.context)) void plugin.onParse?.(payload as never);
    },
    onValidate(payload) {
      const ends: ((end: never) => void)[] = [];
      for (const plugin of protectionsOf(payload.context)) {
        const end = plugin.onValidate?.(payload as never);
        if (typeof end === 'function') ends.push(end as (end: never) => void);
      }
      return ends.length === 0 ? undefined : (end) => ends.forEach((run) => run(end as never));
    },
  };
}

function armorOptions(limits: QueryLimits) {
  // armor words every rejection as a "Syntax Error", which it is not.
  const toLimitError = (error: GraphQLError) => createGatewayError('QUERY_TOO_COMPLEX', error.message.replace(/^Syntax Error: /, ''), { httpStatus: 400 });
  const report = [
    function reportRejection(context: ValidationContext | null, error: GraphQLError) {
      if (context) context.reportError(toLimitError(error));
      // The token limit is checked while parsing, where there is no validation context to report to: stop the
      // parse with our error, which yoga answers like a syntax error.
      else throw toLimitError(error);
    },
  ];
  const callbacks = { propagateOnRejection: false, onReject: report };
  return {
    maxDepth: { n: limits.maxDepth, ignoreIntrospection: true, flattenFragments: true, ...callbacks },
    maxAliases: { n: limits.maxAliases, ...callbacks },
    maxTokens: { n: limits.maxTokens, ...callbacks },
    costLimit: { maxCost: limits.maxCost, ...callbacks },
    maxDirectives: { n: limits.maxDirectives, ...callbacks },
    blockFieldSuggestion: { enabled: limits.blockFieldSuggestions },
  };
}
