import { CriticalityLevel, diff } from '@graphql-inspector/core';
import type { GraphQLSchema } from 'graphql';

/** One difference between two schemas, as graphql-inspector words it. */
export interface SchemaChange {
  /** `FIELD_REMOVED`, `FIELD_ADDED`, `ENUM_VALUE_ADDED`, ... */
  readonly type: string;
  readonly message: string;
  /** `Query.order`, `Order.products` ... when the change has one. */
  readonly path?: string;
  /** Why it may break clients (breaking and dangerous changes). */
  readonly reason?: string;
}

/**
 * The changes between the schema serving now and a proposed one, classed as graphql-inspector does:
 *  - breaking: a client's valid operation may stop working (a field or type removed, an argument made required);
 *  - dangerous: operations still validate but may behave differently (an enum value or a union member added, a
 *    default changed);
 *  - safe: additions nothing can notice unless it asks for them.
 */
export interface SchemaDiff {
  readonly breaking: readonly SchemaChange[];
  readonly dangerous: readonly SchemaChange[];
  readonly safe: readonly SchemaChange[];
}

/** graphql-inspector rather than graphql-js's findBreakingChanges/findDangerousChanges, which leave out the safe changes. */
export async function diffSchemas(current: GraphQLSchema, proposed: GraphQLSchema): Promise<SchemaDiff> {
  const changes = await diff(current, proposed);
  const of = (level: CriticalityLevel) =>
    changes
      .filter((change) => change.criticality.level === level)
      .map((change) => ({
        type: change.type,
        message: change.message,
        ...(change.path !== undefined ? { path: change.path } : {}),
        ...(change.criticality.reason !== undefined && level !== CriticalityLevel.NonBreaking ? { reason: change.criticality.reason } : {}),
      }));
  return { breaking: of(CriticalityLevel.Breaking), dangerous: of(CriticalityLevel.Dangerous), safe: of(CriticalityLevel.NonBreaking) };
}
