import { z } from 'zod';
import { sourceConfigFields } from '../source-config.js';

/** A `sources:` entry with `kind: graphql`. */
export const graphqlSourceSchema = z.strictObject({
  ...sourceConfigFields,
  kind: z.literal('graphql'),
  /** SDL file of the remote schema. Without it the schema is introspected from the first endpoint at load time. */
  schema: z.string().min(1).optional(),
});

export type GraphqlSourceConfig = z.infer<typeof graphqlSourceSchema>;
