import {
  GraphQLBoolean,
  GraphQLEnumType,
  GraphQLFloat,
  GraphQLInputObjectType,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLScalarType,
  GraphQLSchema,
  GraphQLString,
  printSchema,
  type GraphQLEnumValueConfigMap,
  type GraphQLFieldConfigArgumentMap,
  type GraphQLFieldConfigMap,
  type GraphQLInputFieldConfigMap,
  type GraphQLInputType,
  type GraphQLNullableType,
  type GraphQLOutputType,
} from 'graphql';
import protobuf from 'protobufjs';
import type { Enum, Field, Type } from 'protobufjs';
import { JSON_SCALAR, SHARED_SCALARS } from '../scalars.js';
import { RESERVED_ENUM_VALUES } from './collect-types.js';
import { messageKindOf, scalarOfMessage, scalarOfProtoType, type ScalarName } from './message-kind.js';
import type { RootFieldPlan } from './root-fields.js';
import type { TypeNames } from './type-names.js';

const DEPRECATED_IN_PROTO = 'Deprecated in the .proto file.';
const CLIENT_STREAM_ARGUMENT = 'The messages of the client stream, sent in this order; the reply comes once all are sent.';

/**
 * Builds the source's types with graphql-js and prints them, so names are validated and descriptions escaped
 * by the library rather than by string concatenation. Returns '' when no method is exposed.
 */
export function printTypeDefs(plans: readonly RootFieldPlan[], names: TypeNames): string {
  const graphqlTypes = createGraphqlTypes(names);
  const rootType = (name: RootFieldPlan['rootType']): GraphQLObjectType | undefined => {
    const fields = plans.filter((plan) => plan.rootType === name);
    if (fields.length === 0) return undefined;
    return new GraphQLObjectType({ name, fields: () => Object.fromEntries(fields.map((plan) => [plan.fieldName, graphqlTypes.rootField(plan)])) });
  };
  const query = rootType('Query');
  const mutation = rootType('Mutation');
  const subscription = rootType('Subscription');
  if (query === undefined && mutation === undefined && subscription === undefined) return '';
  return printSchema(new GraphQLSchema({ ...(query ? { query } : {}), ...(mutation ? { mutation } : {}), ...(subscription ? { subscription } : {}) }));
}

function createGraphqlTypes(names: TypeNames) {
  const objectTypes = new Map<Type, GraphQLObjectType>();
  const inputTypes = new Map<Type, GraphQLInputObjectType>();
  const enumTypes = new Map<Enum, GraphQLEnumType>();

  const scalar = (name: ScalarName): GraphQLScalarType => {
    switch (name) {
      case 'String':
        return GraphQLString;
      case 'Int':
        return GraphQLInt;
      case 'Float':
        return GraphQLFloat;
      case 'Boolean':
        return GraphQLBoolean;
      case 'JSON':
      case 'DateTime':
        return SHARED_SCALARS[name];
    }
  };

  const enumType = (protoEnum: Enum): GraphQLEnumType => {
    const existing = enumTypes.get(protoEnum);
    if (existing) return existing;
    const values: GraphQLEnumValueConfigMap = {};
    for (const name of Object.keys(protoEnum.values)) {
      if (!RESERVED_ENUM_VALUES.has(name)) values[name] = { value: name, description: protoEnum.comments[name] ?? null };
    }
    const created = new GraphQLEnumType({ name: nameOf(names.outputName, protoEnum), description: protoEnum.comment, values });
    enumTypes.set(protoEnum, created);
    return created;
  };

  /** The output or input type of one value of `field`, before list and non-null wrapping. */
  const valueType = <T extends GraphQLNullableType>(field: Field, messageType: (type: Type) => T): T | GraphQLScalarType | GraphQLEnumType => {
    const resolved = field.resolvedType;
    if (resolved instanceof protobuf.Enum) return enumType(resolved);
    if (resolved instanceof protobuf.Type) {
      const kind = messageKindOf(resolved);
      return kind === 'message' ? messageType(resolved) : scalar(scalarOfMessage(resolved, kind));
    }
    return scalar(scalarOfProtoType(field.type) ?? 'String');
  };

  const objectType = (type: Type): GraphQLObjectType => {
    const existing = objectTypes.get(type);
    if (existing) return existing;
    const created = new GraphQLObjectType({
      name: nameOf(names.outputName, type),
      description: type.comment,
      fields: () => {
        const fields: GraphQLFieldConfigMap<unknown, unknown> = {};
        for (const field of type.fieldsArray) {
          fields[field.name] = {
            type: outputFieldType(field),
            description: field.comment,
            ...(field.options?.['deprecated'] === true ? { deprecationReason: DEPRECATED_IN_PROTO } : {}),
          };
        }
        return fields;
      },
    });
    objectTypes.set(type, created);
    return created;
  };

  // proto3 has no required fields, so every output field is nullable except lists, which are empty rather than absent.
  const outputFieldType = (field: Field): GraphQLOutputType => {
    if (field.map) return JSON_SCALAR;
    const itemType = valueType(field, objectType);
    if (!field.repeated) return itemType;
    // A google.protobuf.Value item may hold JSON null.
    return new GraphQLNonNull(new GraphQLList(itemType === JSON_SCALAR ? itemType : new GraphQLNonNull(itemType)));
  };

  const inputType = (type: Type): GraphQLInputObjectType => {
    const existing = inputTypes.get(type);
    if (existing) return existing;
    const created = new GraphQLInputObjectType({
      name: nameOf(names.inputName, type),
      description: type.comment,
      fields: () => {
        const fields: GraphQLInputFieldConfigMap = {};
        for (const field of type.fieldsArray) fields[field.name] = { type: inputFieldType(field), description: field.comment };
        return fields;
      },
    });
    inputTypes.set(type, created);
    return created;
  };

  const inputFieldType = (field: Field): GraphQLInputType => {
    if (field.map) return JSON_SCALAR;
    const itemType = valueType(field, inputType);
    if (!field.repeated) return itemType;
    return new GraphQLList(itemType === JSON_SCALAR ? itemType : new GraphQLNonNull(itemType));
  };

  const outputOfMessage = (type: Type): GraphQLOutputType => {
    const kind = messageKindOf(type);
    return kind === 'message' ? objectType(type) : scalar(scalarOfMessage(type, kind));
  };

  /** The request message's fields become the field's arguments; a client stream takes its messages as one list. */
  const argumentsOf = (request: Type, plan: RootFieldPlan): GraphQLFieldConfigArgumentMap => {
    if (plan.callType === 'client-stream') {
      const kind = messageKindOf(request);
      const item = kind === 'message' ? inputType(request) : scalar(scalarOfMessage(request, kind));
      return { messages: { type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(item))), description: CLIENT_STREAM_ARGUMENT } };
    }
    const args: GraphQLFieldConfigArgumentMap = {};
    for (const field of request.fieldsArray) args[field.name] = { type: inputFieldType(field), description: field.comment };
    return args;
  };

  return {
    rootField(plan: RootFieldPlan) {
      const { method } = plan;
      if (!method.resolvedRequestType || !method.resolvedResponseType) throw new Error(`${plan.operationId} is not resolved`);
      return {
        type: outputOfMessage(method.resolvedResponseType),
        args: argumentsOf(method.resolvedRequestType, plan),
        description: method.comment,
        ...(method.options?.['deprecated'] === true ? { deprecationReason: DEPRECATED_IN_PROTO } : {}),
      };
    },
  };
}

function nameOf<K>(table: ReadonlyMap<K, string>, key: K & { fullName: string }): string {
  const name = table.get(key);
  if (name === undefined) throw new Error(`no GraphQL name was assigned to ${key.fullName}`);
  return name;
}
