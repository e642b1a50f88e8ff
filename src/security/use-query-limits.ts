import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
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
export function useQueryLimits(limits: QueryLimits): Plugin {
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
  return EnvelopArmorPlugin({
    maxDepth: { n: limits.maxDepth, ignoreIntrospection: true, flattenFragments: true, ...callbacks },
    maxAliases: { n: limits.maxAliases, ...callbacks },
    maxTokens: { n: limits.maxTokens, ...callbacks },
    costLimit: { maxCost: limits.maxCost, ...callbacks },
    maxDirectives: { n: limits.maxDirectives, ...callbacks },
    blockFieldSuggestion: { enabled: limits.blockFieldSuggestions },
  }) as Plugin;
}
