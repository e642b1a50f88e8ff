import { GraphQLScalarType, printType } from 'graphql';

/**
 * The custom scalars every kind of source may use, defined once so that a `DateTime` from an OpenAPI document
 * and one from a `.proto` file are the same type in the stitched schema, with one description.
 */
export const JSON_SCALAR = new GraphQLScalarType({
  name: 'JSON',
  description:
    'Any JSON value: a part of a backend\'s schema with no faithful GraphQL type (OpenAPI free-form objects, protobuf `Struct`, `Any` and maps).',
});

export const DATE_TIME_SCALAR = new GraphQLScalarType({
  name: 'DateTime',
  description: 'A date and time as an RFC 3339 string (OpenAPI `format: date-time`, protobuf `google.protobuf.Timestamp`).',
  specifiedByURL: 'https://datatracker.ietf.org/doc/html/rfc3339',
});

export type SharedScalarName = 'JSON' | 'DateTime';

export const SHARED_SCALARS: Readonly<Record<SharedScalarName, GraphQLScalarType>> = { JSON: JSON_SCALAR, DateTime: DATE_TIME_SCALAR };

/** The SDL of a shared scalar (description and `@specifiedBy` included), for sources that print SDL as text. */
export function sharedScalarSdl(name: SharedScalarName): string {
  return printType(SHARED_SCALARS[name]);
}
