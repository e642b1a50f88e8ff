import { z } from 'zod';
import { sourceConfigFields } from '../source-config.js';

/** A `sources:` entry with `kind: graphql`. */
export const graphqlSourceSchema = z.strictObject({
  ...sourceConfigFields,
  kind: z.literal('graphql'),
  /**
   * SDL file of the remote schema. Without it the schema is introspected from the first endpoint at load time
   * (with `federation: true`: read from the subgraph's `_service { sdl }`).
   */
  schema: z.string().min(1).optional(),
  /**
   * Root fields and types of the remote schema left out of the gateway schema, by their remote name. A key that
   * names nothing in the remote schema is a config error. Default none.
   */
  exclude: z.array(z.string().min(1)).optional(),
  /**
   * The service is an Apollo Federation subgraph: its SDL (from `schema` or `_service { sdl }`) declares entities
   * with `@key`, and the gateway fetches an entity's fields from it by key through `_entities`, batched. Default false.
   */
  federation: z.boolean().optional(),
  /**
   * How Subscription fields reach the remote: `sse` (GraphQL over server-sent events, a POST to the endpoint with
   * `Accept: text/event-stream`) or `graphql-ws` (the graphql-transport-ws WebSocket protocol, at the endpoint with
   * ws:// or wss://). Either way the remote stream is closed when the client goes away. Default `sse`.
   */
  subscriptions: z.enum(['sse', 'graphql-ws']).optional(),
});

export type GraphqlSourceConfig = z.infer<typeof graphqlSourceSchema>;
