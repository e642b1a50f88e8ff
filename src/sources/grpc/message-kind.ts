import type { Type } from 'protobufjs';

/** The GraphQL scalars proto values map to; `JSON` is declared by the SDL when used. */
export type ScalarName = 'String' | 'Int' | 'Float' | 'Boolean' | 'JSON' | 'DateTime';

/**
 * 64-bit integers become String because GraphQL Int is 32-bit and a JavaScript number loses precision above
 * 2^53 (proto-loader's `longs: String` gives the same shape); bytes travel as base64 strings.
 */
const SCALAR_BY_PROTO_TYPE: Readonly<Record<string, ScalarName>> = {
  double: 'Float',
  float: 'Float',
  int32: 'Int',
  sint32: 'Int',
  sfixed32: 'Int',
  uint32: 'Int',
  fixed32: 'Int',
  int64: 'String',
  sint64: 'String',
  sfixed64: 'String',
  uint64: 'String',
  fixed64: 'String',
  bool: 'Boolean',
  string: 'String',
  bytes: 'String',
};

/** Unsigned 32-bit types whose upper half does not fit GraphQL's signed 32-bit Int. */
export const UNSIGNED_32_BIT_TYPES: ReadonlySet<string> = new Set(['uint32', 'fixed32']);

export function scalarOfProtoType(protoType: string): ScalarName | undefined {
  return SCALAR_BY_PROTO_TYPE[protoType];
}

/**
 * How a message appears in GraphQL:
 * - `message`: an object (output) or input object type;
 * - `empty`: no fields (google.protobuf.Empty and the like) → Boolean, `true` when present; GraphQL has no empty types;
 * - `timestamp`: google.protobuf.Timestamp → DateTime, an RFC 3339 string;
 * - `duration`: google.protobuf.Duration → a string of seconds as protobuf's JSON mapping prints it (`"1.5s"`);
 * - `field-mask`: google.protobuf.FieldMask → its paths, camelCased and joined by commas (`"customerId,status"`);
 * - `any`: google.protobuf.Any → JSON: the packed message's fields plus `"@type"` (protobuf's JSON mapping);
 * - `wrapper`: google.protobuf.StringValue and friends → their nullable scalar;
 * - `struct`, `value`, `list-value`: google.protobuf.Struct/Value/ListValue → JSON.
 */
export type MessageKind = 'message' | 'empty' | 'timestamp' | 'duration' | 'field-mask' | 'any' | 'wrapper' | 'struct' | 'value' | 'list-value';

const KIND_BY_FULL_NAME: Readonly<Record<string, MessageKind>> = {
  '.google.protobuf.Timestamp': 'timestamp',
  '.google.protobuf.Duration': 'duration',
  '.google.protobuf.FieldMask': 'field-mask',
  '.google.protobuf.Any': 'any',
  '.google.protobuf.Struct': 'struct',
  '.google.protobuf.Value': 'value',
  '.google.protobuf.ListValue': 'list-value',
  '.google.protobuf.DoubleValue': 'wrapper',
  '.google.protobuf.FloatValue': 'wrapper',
  '.google.protobuf.Int64Value': 'wrapper',
  '.google.protobuf.UInt64Value': 'wrapper',
  '.google.protobuf.Int32Value': 'wrapper',
  '.google.protobuf.UInt32Value': 'wrapper',
  '.google.protobuf.BoolValue': 'wrapper',
  '.google.protobuf.StringValue': 'wrapper',
  '.google.protobuf.BytesValue': 'wrapper',
};

export function messageKindOf(type: Type): MessageKind {
  return KIND_BY_FULL_NAME[type.fullName] ?? (type.fieldsArray.length === 0 ? 'empty' : 'message');
}

/** The scalar a message of a kind other than `message` stands for. */
export function scalarOfMessage(type: Type, kind: Exclude<MessageKind, 'message'>): ScalarName {
  switch (kind) {
    case 'empty':
      return 'Boolean';
    case 'timestamp':
      // The same DateTime scalar as OpenAPI's `format: date-time`, so timestamps look alike whatever the source.
      return 'DateTime';
    case 'duration':
    case 'field-mask':
      return 'String';
    case 'wrapper':
      return scalarOfProtoType(type.fieldsArray[0]?.type ?? 'string') ?? 'String';
    case 'any':
    case 'struct':
    case 'value':
    case 'list-value':
      return 'JSON';
  }
}
