import protobuf from 'protobufjs';
import type { Enum, Method, Type } from 'protobufjs';
import type { ConversionNote } from '../types.js';
import { messageKindOf, UNSIGNED_32_BIT_TYPES } from './message-kind.js';

/** Enum value names GraphQL cannot use; they are left out of the GraphQL enum. */
export const RESERVED_ENUM_VALUES: ReadonlySet<string> = new Set(['true', 'false', 'null']);

/** The messages and enums the exposed methods reach, and what was simplified on the way. */
export interface ReachableTypes {
  /** Messages that become object types (reached from a response). */
  readonly outputs: ReadonlySet<Type>;
  /** Messages that become input types (reached from a request field; the request itself is flattened into arguments). */
  readonly inputs: ReadonlySet<Type>;
  readonly enums: ReadonlySet<Enum>;
  readonly notes: readonly ConversionNote[];
}

/** Walks the request and response messages of `methods`; only what is reached ends up in the SDL. */
export function collectReachableTypes(methods: readonly Method[]): ReachableTypes {
  const outputs = new Set<Type>();
  const inputs = new Set<Type>();
  const enums = new Set<Enum>();
  const notes = new Map<string, ConversionNote>();
  const note = (pointer: string, message: string): void => {
    notes.set(`${pointer}\n${message}`, { pointer, message });
  };

  const visitMessage = (type: Type, into: Set<Type>): void => {
    if (messageKindOf(type) !== 'message' || into.has(type)) return;
    into.add(type);
    visitFields(type, into);
  };

  const visitFields = (type: Type, into: Set<Type>): void => {
    for (const oneof of type.oneofsArray) {
      // proto3 `optional` is a synthetic one-member oneof: nothing to tell.
      if (oneof.fieldsArray.every((field) => field.options?.['proto3_optional'] === true)) continue;
      const members = oneof.fieldsArray.map((field) => field.name).join(', ');
      note(`${type.fullName.slice(1)}.${oneof.name}`, `oneof: ${members} are separate nullable fields; at most one is set`);
    }
    for (const field of type.fieldsArray) {
      const pointer = field.fullName.slice(1);
      if (field.map) {
        const keyType = field instanceof protobuf.MapField ? field.keyType : 'string';
        note(pointer, `map<${keyType}, ${field.type}> is exposed as JSON (an object keyed by the map keys)`);
        continue;
      }
      if (UNSIGNED_32_BIT_TYPES.has(field.type)) {
        note(pointer, `${field.type} is exposed as Int: values above 2147483647 cannot be represented`);
      }
      const resolved = field.resolvedType;
      if (resolved instanceof protobuf.Enum) visitEnum(resolved);
      else if (resolved instanceof protobuf.Type) visitMessage(resolved, into);
    }
  };

  const visitEnum = (enumType: Enum): void => {
    if (enums.has(enumType)) return;
    enums.add(enumType);
    for (const name of Object.keys(enumType.values)) {
      if (RESERVED_ENUM_VALUES.has(name)) note(`${enumType.fullName.slice(1)}.${name}`, `enum value ${name} is not a valid GraphQL enum value: left out`);
    }
  };

  for (const method of methods) {
    if (method.resolvedResponseType) visitMessage(method.resolvedResponseType, outputs);
    // A client stream's messages arrive as a list argument of the request's input type; otherwise the
    // request is flattened into arguments and only its fields' types are needed.
    if (method.resolvedRequestType) {
      if (method.requestStream) visitMessage(method.resolvedRequestType, inputs);
      else visitFields(method.resolvedRequestType, inputs);
    }
  }
  return { outputs, inputs, enums, notes: [...notes.values()] };
}
