import { z } from 'zod';
import { sourceConfigFields } from '../source-config.js';

/** A `sources:` entry with `kind: openapi`. */
export const openapiSourceSchema = z.strictObject({
  ...sourceConfigFields,
  kind: z.literal('openapi'),
  /**
   * OpenAPI 3.0/3.1 or Swagger 2.0 document (YAML or JSON): a path relative to the config file, or an http(s) URL
   * fetched at load time (10 s timeout; a failure is SPEC_INVALID naming the URL). A spec URL's documents are
   * saved as a schema snapshot after each load and used when the URL cannot be fetched (by `serve`, in `stateDir`).
   */
  spec: z.string().min(1),
  /**
   * Put before every type name and root field name of this source, after `rename`: `Inv` turns `Product` into
   * `InvProduct` and `products` into `invProducts`. Resolves name collisions between sources. Default none.
   */
  prefix: z.string().regex(/^[A-Za-z][_0-9A-Za-z]*$/, 'must start with a letter and contain only letters, digits and _').optional(),
  /**
   * Operations and types left out of the schema: an operationId, a default or final field name, or a type name.
   * Leaving out a type leaves out every operation that reaches it. Default none.
   */
  exclude: z.array(z.string().min(1)).optional(),
  /**
   * Query parameters sent with every call, e.g. `{ api_key: '${API_KEY}' }` for a backend that wants its key in
   * the query string (keys in a header or a bearer token go in `headers`). Default none.
   */
  queryParameters: z.record(z.string().min(1), z.string()).optional(),
});

export type OpenApiSourceConfig = z.infer<typeof openapiSourceSchema>;
