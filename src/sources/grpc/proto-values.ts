import protobuf from 'protobufjs';
import type { Field, IConversionOptions, Type } from 'protobufjs';
import { messageKindOf } from './message-kind.js';
import { durationToString, fieldMaskToString, stringToDuration, stringToFieldMask } from './duration-field-mask.js';
import { isoToTimestamp, timestampToIso } from './timestamp.js';

type ProtoObject = Record<string, unknown>;

/**
 * proto-loader's decoding options (`longs: String, enums: String, defaults: true, oneofs: true`), plus
 * base64 strings for bytes, which is how the SDL exposes them.
 */
const TO_OBJECT_OPTIONS: IConversionOptions = { longs: String, enums: String, bytes: String, defaults: true, oneofs: true };

/**
 * Encodes GraphQL arguments (the request message's fields, in proto-loader's camelCase shape) as `type`.
 * Throws a TypeError naming the value when an argument cannot be encoded.
 */
export function encodeRequest(type: Type, args: Readonly<ProtoObject>): Buffer {
  checkOneofs(type, args, '');
  const bytes = type.encode(type.fromObject(fromGraphqlFields(type, args))).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Encodes one GraphQL input value (an input object, or the scalar a well-known message stands for) as `type`:
 * one message of a client stream. Throws a TypeError naming the value when it cannot be encoded.
 */
export function encodeMessage(type: Type, value: unknown): Buffer {
  if (value !== null && typeof value === 'object') checkOneofs(type, value as ProtoObject, '');
  const object = fromGraphqlValue(type, value) ?? {};
  const bytes = type.encode(type.fromObject(object as ProtoObject)).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * A oneof's members are separate nullable input fields in GraphQL, which cannot say "only one of these"; this
 * says it before anything is sent. At most one, not exactly one: proto3 lets a oneof be unset, and requests
 * that mean "no filter" rely on that. Nested input messages are checked too.
 */
function checkOneofs(type: Type, value: Readonly<ProtoObject>, path: string): void {
  for (const oneof of type.oneofsArray) {
    if (oneof.fieldsArray.length < 2) continue; // proto3 `optional`: a synthetic oneof of one
    const set = oneof.fieldsArray.filter((field) => value[field.name] !== undefined && value[field.name] !== null).map((field) => field.name);
    if (set.length > 1) throw new TypeError(`${path}${oneof.name}: set only one of ${oneof.fieldsArray.map((f) => f.name).join(', ')} (got ${set.join(', ')})`);
  }
  for (const field of messageFieldsOf(type)) {
    const item = value[field.name];
    if (item === null || typeof item !== 'object') continue;
    const nested = field.resolvedType as Type;
    if (Array.isArray(item)) item.forEach((element, index) => element !== null && typeof element === 'object' && checkOneofs(nested, element as ProtoObject, `${path}${field.name}[${index}].`));
    else checkOneofs(nested, item as ProtoObject, `${path}${field.name}.`);
  }
}

/** Decodes a reply and reshapes it for the SDL: Timestamp → ISO string, wrappers → scalars, Empty → true, Struct → JSON. */
export function decodeReply(type: Type, bytes: Uint8Array): unknown {
  return toGraphqlValue(type, type.toObject(type.decode(bytes), TO_OBJECT_OPTIONS));
}

const messageFieldsByType = new WeakMap<Type, readonly Field[]>();

/** The fields whose values need reshaping: those of message type. Cached: replies are decoded on every call. */
function messageFieldsOf(type: Type): readonly Field[] {
  let fields = messageFieldsByType.get(type);
  if (fields === undefined) {
    fields = type.fieldsArray.filter((field) => field.resolvedType instanceof protobuf.Type);
    messageFieldsByType.set(type, fields);
  }
  return fields;
}

/** Reshapes in place: the decoded object is freshly made and owned by this call. */
function toGraphqlValue(type: Type, message: ProtoObject): unknown {
  const kind = messageKindOf(type);
  switch (kind) {
    case 'empty':
      return true;
    case 'timestamp':
      return timestampToIso(message);
    case 'duration':
      return durationToString(message);
    case 'field-mask':
      return fieldMaskToString(message);
    case 'any':
      return anyToJson(type, message);
    case 'wrapper':
      return message['value'] ?? null;
    case 'struct':
      return structToJson(message);
    case 'value':
      return valueToJson(message);
    case 'list-value':
      return listToJson(message);
    case 'message':
      for (const field of messageFieldsOf(type)) {
        const value = message[field.name];
        if (value != null) message[field.name] = convertFieldValue(field, value, toGraphqlValue);
      }
      return message;
  }
}

function fromGraphqlValue(type: Type, value: unknown): unknown {
  switch (messageKindOf(type)) {
    case 'empty':
      return value === true ? {} : undefined;
    case 'timestamp':
      if (typeof value !== 'string') throw new TypeError(`${type.fullName.slice(1)}: expected an RFC 3339 string`);
      return isoToTimestamp(value);
    case 'duration':
      if (typeof value !== 'string') throw new TypeError(`${type.fullName.slice(1)}: expected a string like "1.5s"`);
      return stringToDuration(value);
    case 'field-mask':
      if (typeof value !== 'string') throw new TypeError(`${type.fullName.slice(1)}: expected comma-separated field paths`);
      return stringToFieldMask(value);
    case 'any':
      return jsonToAny(type, value);
    case 'wrapper':
      return { value };
    case 'struct':
      return jsonToStruct(value);
    case 'value':
      return jsonToValue(value);
    case 'list-value':
      return jsonToList(value);
    case 'message':
      return fromGraphqlFields(type, asObject(value, type.fullName.slice(1)));
  }
}

/** A copy: GraphQL argument objects belong to the caller. Nulls are dropped, as proto3 has no null. */
function fromGraphqlFields(type: Type, object: Readonly<ProtoObject>): ProtoObject {
  const result: ProtoObject = {};
  for (const [name, value] of Object.entries(object)) {
    if (value == null) continue;
    const field = type.fields[name];
    const converted = field?.resolvedType instanceof protobuf.Type ? convertFieldValue(field, value, fromGraphqlValue) : value;
    if (converted !== undefined) result[name] = converted;
  }
  return result;
}

function convertFieldValue(field: Field, value: unknown, convert: (type: Type, value: ProtoObject) => unknown): unknown {
  const type = field.resolvedType as Type;
  if (field.map) {
    const entries = Object.entries(asObject(value, field.fullName.slice(1)));
    return Object.fromEntries(entries.map(([key, entry]) => [key, convert(type, entry as ProtoObject)]));
  }
  if (field.repeated) {
    if (!Array.isArray(value)) throw new TypeError(`${field.fullName.slice(1)}: expected a list`);
    return value.map((item: ProtoObject) => convert(type, item));
  }
  return convert(type, value as ProtoObject);
}

function asObject(value: unknown, at: string): ProtoObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TypeError(`${at}: expected an object`);
  return value as ProtoObject;
}

// google.protobuf.Struct/Value/ListValue ⇄ plain JSON, as in protobuf's JSON mapping.

function structToJson(struct: ProtoObject): Record<string, unknown> {
  const fields = (struct['fields'] ?? {}) as Record<string, ProtoObject>;
  return Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, valueToJson(value)]));
}

function listToJson(list: ProtoObject): unknown[] {
  return ((list['values'] ?? []) as ProtoObject[]).map(valueToJson);
}

function valueToJson(value: ProtoObject): unknown {
  // `kind` is the oneof's virtual property (`oneofs: true`): the name of the member that is set.
  switch (value['kind']) {
    case 'numberValue':
    case 'stringValue':
    case 'boolValue':
      return value[value['kind']];
    case 'structValue':
      return structToJson(value['structValue'] as ProtoObject);
    case 'listValue':
      return listToJson(value['listValue'] as ProtoObject);
    default:
      return null;
  }
}

function jsonToStruct(json: unknown): ProtoObject {
  const object = asObject(json, 'google.protobuf.Struct');
  return { fields: Object.fromEntries(Object.entries(object).map(([key, value]) => [key, jsonToValue(value)])) };
}

function jsonToList(json: unknown): ProtoObject {
  if (!Array.isArray(json)) throw new TypeError('google.protobuf.ListValue: expected a list');
  return { values: json.map(jsonToValue) };
}

function jsonToValue(json: unknown): ProtoObject {
  if (json === null) return { nullValue: 'NULL_VALUE' };
  switch (typeof json) {
    case 'number':
      return { numberValue: json };
    case 'string':
      return { stringValue: json };
    case 'boolean':
      return { boolValue: json };
    case 'object':
      return Array.isArray(json) ? { listValue: jsonToList(json) } : { structValue: jsonToStruct(json) };
    default:
      throw new TypeError(`google.protobuf.Value: ${typeof json} is not JSON`);
  }
}

// google.protobuf.Any ⇄ JSON as in protobuf's JSON mapping: the packed message's fields beside "@type", or
// `{ "@type", "value" }` when the packed message is itself a well-known type with a scalar JSON form.

const TYPE_URL_PREFIX = 'type.googleapis.com/';

/** The message type an Any's URL names, looked up in the root that declared `anyType`; undefined when unknown. */
function packedTypeOf(anyType: Type, typeUrl: string): Type | undefined {
  const name = typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
  const found = name === '' ? null : anyType.root.lookup(name);
  return found instanceof protobuf.Type ? found : undefined;
}

/** protobufjs' bundled any.proto keeps `type_url`; a parsed or reflected one is camelCased to `typeUrl`. */
function typeUrlFieldOf(anyType: Type): string {
  return anyType.fields['typeUrl'] !== undefined ? 'typeUrl' : 'type_url';
}

function anyToJson(anyType: Type, any: ProtoObject): unknown {
  const typeUrl = String(any[typeUrlFieldOf(anyType)] ?? '');
  if (typeUrl === '') return null;
  const packed = packedTypeOf(anyType, typeUrl);
  const bytes = any['value'];
  // Bytes arrive base64-encoded (`bytes: String`); a type this source does not know is passed on undecoded.
  if (packed === undefined) return { '@type': typeUrl, value: typeof bytes === 'string' ? bytes : '' };
  const decoded = decodeReply(packed, typeof bytes === 'string' ? Buffer.from(bytes, 'base64') : new Uint8Array());
  if (messageKindOf(packed) !== 'message') return { '@type': typeUrl, value: decoded };
  return { '@type': typeUrl, ...(decoded as ProtoObject) };
}

function jsonToAny(anyType: Type, json: unknown): ProtoObject {
  const { '@type': typeUrl, ...fields } = asObject(json, 'google.protobuf.Any');
  if (typeof typeUrl !== 'string' || typeUrl === '') throw new TypeError('google.protobuf.Any: expected an "@type" naming the packed message');
  const packed = packedTypeOf(anyType, typeUrl);
  if (packed === undefined) throw new TypeError(`google.protobuf.Any: unknown message type ${typeUrl}`);
  const value = messageKindOf(packed) === 'message' ? fields : fields['value'];
  const url = typeUrl.includes('/') ? typeUrl : `${TYPE_URL_PREFIX}${typeUrl}`;
  return { [typeUrlFieldOf(anyType)]: url, value: encodeMessage(packed, value) };
}
