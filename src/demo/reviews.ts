/**
 * Reviews: a GraphQL backend (graphql-yoga on node:http) for `schemas/reviews.graphql`, served at `/graphql`.
 */
import { readFile } from 'node:fs/promises';
import { createSchema, createYoga } from 'graphql-yoga';
import {
  createCallStats,
  resolveLatencyMs,
  schemaPath,
  simulateLatency,
  startHttpBackend,
  type DemoBackend,
  type DemoBackendOptions,
} from './backend.js';
import { createReviews, productRatingOf, type ProductRating, type Review } from './data.js';

export const REVIEWS_SCHEMA_FILE = 'reviews.graphql';
export const REVIEWS_GRAPHQL_PATH = '/graphql';

/**
 * Every root field resolved counts as one call named after the field, so a gateway that batches
 * `reviewsByProduct` lookups into one `reviewsByProducts` shows up as a single call.
 */
export async function startReviews(options: DemoBackendOptions = {}): Promise<DemoBackend> {
  const latencyMs = resolveLatencyMs(options.latencyMs);
  const stats = createCallStats();
  const reviewsByProductId = createReviews();
  const typeDefs = await readFile(schemaPath(REVIEWS_SCHEMA_FILE), 'utf8');

  function reviewsOf(productId: string): Review[] {
    return reviewsByProductId.get(productId) ?? [];
  }

  const yoga = createYoga({
    schema: createSchema({
      typeDefs,
      resolvers: {
        Query: {
          async reviewsByProduct(_root: unknown, args: { productId: string }): Promise<Review[]> {
            stats.record('reviewsByProduct', args);
            await simulateLatency(latencyMs);
            return reviewsOf(args.productId);
          },
          async reviewsByProducts(_root: unknown, args: { productIds: string[] }): Promise<Review[]> {
            stats.record('reviewsByProducts', args);
            await simulateLatency(latencyMs);
            return args.productIds.flatMap(reviewsOf);
          },
          async productRatings(_root: unknown, args: { ids: string[] }): Promise<ProductRating[]> {
            stats.record('productRatings', args);
            await simulateLatency(latencyMs);
            return args.ids.map((id) => productRatingOf(id, reviewsOf(id)));
          },
        },
      },
    }),
    graphqlEndpoint: REVIEWS_GRAPHQL_PATH,
    graphiql: false,
    landingPage: false,
    logging: false,
  });

  return startHttpBackend({
    name: 'reviews',
    keepAliveTimeoutMs: options.keepAliveTimeoutMs,
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    stats,
    // yoga's listener writes the response itself and turns its own errors into GraphQL responses.
    handle(req, res) {
      yoga.requestListener(req, res);
    },
  });
}
