import type { ConversionNote } from '../types.js';
import { sharedScalarSdl } from '../scalars.js';
import { int64Format, int64Literal, type Int64Format } from './int64.js';
import { renderLiteral, untypedLiteral, type LiteralRenderer } from './literals.js';
import { childNode, isRecord, nodeLabel, type LoadedSpec, type SpecNode } from './load-document.js';
import { claimUniqueName, enumValueName, graphqlFieldName, graphqlTypeName, parsePointer, pascalCase } from './naming.js';
import { INT64_SHAPES, pickUnionMember, type EnumShape, type ObjectShape, type Shape, type UnionMember, type UnionShape } from './shape.js';

/** Response data maps to object types, request data to input types; enums serve both. */
export type Mode = 'output' | 'input';

export interface MappedType {
  /** GraphQL type without the outer `!`: `Pet`, `[String!]`. */
  readonly type: string;
  /** What the type is; only object types can be union members. */
  readonly kind: 'object' | 'union' | 'enum' | 'scalar' | 'list' | 'json';
  /** Whether the schema allows null, so that even a required property gets no `!`. */
  readonly nullable: boolean;
  readonly shape: Shape | undefined;
  /** Renders a JSON value (a `default`) as a GraphQL literal of this type; undefined when it does not fit. */
  readonly literal: LiteralRenderer;
}

/** One type's SDL. */
export interface TypeDefinition {
  readonly name: string;
  readonly sdl: string;
}

interface NamedType {
  readonly name: string;
  readonly kind: 'object' | 'union' | 'enum';
  /** Object and union types: the shape for the mode the type was made for. */
  readonly shape: Shape | undefined;
  /** Enums: the translation of renamed values, per direction (undefined when every value keeps its name). */
  readonly enumShapes?: { readonly output: EnumShape; readonly input: EnumShape } | undefined;
  readonly literal: LiteralRenderer;
}

/** The `__resolveType` data of one union, in GraphQL field names. */
export interface UnionResolution {
  readonly members: readonly { readonly typeName: string; readonly properties: ReadonlySet<string>; readonly required: readonly string[] }[];
}

const RESERVED_TYPE_NAMES = ['Query', 'Mutation', 'Subscription', 'String', 'Int', 'Float', 'Boolean', 'ID', 'JSON', 'DateTime'];


const noLiteral: LiteralRenderer = () => undefined;

/** A description as an SDL string literal (JSON string escapes are valid GraphQL string escapes). */
export function describe(description: unknown, indent: string): string {
  return typeof description === 'string' && description.trim() !== '' ? `${indent}${JSON.stringify(description.trim())}\n` : '';
}

function nodeKey(node: SpecNode): string {
  return `${node.doc.file}${node.pointer}`;
}

/** Declared types without `null` (3.1 allows `type: [string, 'null']`). */
function declaredTypes(schema: Record<string, unknown>): string[] {
  const type = schema['type'];
  const types = Array.isArray(type) ? type : type === undefined ? [] : [type];
  return types.filter((entry): entry is string => typeof entry === 'string' && entry !== 'null');
}

function allowsNull(schema: unknown): boolean {
  if (!isRecord(schema)) return true;
  const type = schema['type'];
  return schema['nullable'] === true || type === 'null' || (Array.isArray(type) && type.includes('null'));
}

function isNullOnly(schema: unknown): boolean {
  return isRecord(schema) && (schema['type'] === 'null' || (Array.isArray(schema['enum']) && schema['enum'].every((value) => value === null)));
}

/** A `oneOf`/`anyOf` member that adds rules (`required`, `minProperties`) but no properties or type of its own. */
function isConstraintOnly(member: unknown): boolean {
  return isRecord(member) && !['$ref', 'type', 'properties', 'allOf', 'oneOf', 'anyOf', 'items', 'enum'].some((keyword) => keyword in member);
}

/** Per-value descriptions from the common extensions: `x-enumDescriptions` (a map) or `x-enum-descriptions` (a list). */
function enumDescription(schema: Record<string, unknown>, value: unknown, index: number): unknown {
  const byValue = schema['x-enumDescriptions'];
  if (isRecord(byValue)) return byValue[String(value)];
  const list = schema['x-enum-descriptions'] ?? byValue;
  return Array.isArray(list) ? list[index] : undefined;
}

/** An int64/uint64 integer: a String, which arguments check and send as a bare JSON number (see int64.ts). */
function int64Type(mode: Mode, format: Int64Format, nullable: boolean): MappedType {
  return {
    type: 'String',
    kind: 'scalar',
    nullable,
    shape: mode === 'input' ? INT64_SHAPES[format] : undefined,
    literal: (value) => int64Literal(value, format),
  };
}

export interface SchemaMapperOptions {
  /** Default type name → new name (before `prefix`). */
  readonly rename: Readonly<Record<string, string>>;
  /** Put before every type name this source defines (not before the shared `JSON` and `DateTime` scalars). */
  readonly prefix: string;
}

/**
 * Turns JSON schemas into GraphQL types, emitting each named type once. Named types are registered before
 * their fields are mapped, so recursive schemas end in a reference by name instead of looping.
 */
export class SchemaMapper {
  readonly notes: ConversionNote[] = [];
  /** Every object shape made, for `pruneShapes` once all types are known. */
  readonly objectShapes: ObjectShape[] = [];
  readonly unionShapes: UnionShape[] = [];
  /** By union type name; filled in by `finishUnions`. */
  readonly unions = new Map<string, UnionResolution>();
  private readonly pendingUnions: { readonly name: string; readonly shape: UnionShape; readonly members: readonly { member: UnionMember; objectShape: ObjectShape }[] }[] = [];
  private readonly noteKeys = new Set<string>();
  private readonly definitions: TypeDefinition[] = [];
  private readonly typeNames = new Set(RESERVED_TYPE_NAMES);
  /** By `${mode}:${node}` for object and union types, `enum:${node}` for enums. */
  private readonly namedTypes = new Map<string, NamedType>();
  /** Default and final type names of `#/components/schemas/*`, claimed up front so they do not depend on use order. */
  private readonly componentNames = new Map<string, { readonly base: string; readonly name: string; readonly component: string }>();
  /** Referenced schemas being inlined (arrays, aliases): meeting one again means it contains itself. */
  private readonly inlining = new Set<string>();
  private usesJson = false;
  private usesDateTime = false;

  constructor(
    private readonly spec: LoadedSpec,
    private readonly options: SchemaMapperOptions,
  ) {
    const root = spec.main.root;
    const schemas = isRecord(root) && isRecord(root['components']) ? root['components']['schemas'] : undefined;
    if (!isRecord(schemas)) return;
    for (const componentName of Object.keys(schemas)) {
      const node = childNode({ doc: spec.main, pointer: '#', value: root }, 'components', 'schemas', componentName);
      const base = graphqlTypeName(componentName);
      this.componentNames.set(nodeKey(node), { base, name: this.claimTypeName(base, node), component: componentName });
    }
  }

  note(at: SpecNode | string, message: string): void {
    const pointer = typeof at === 'string' ? at : nodeLabel(at);
    const key = `${pointer}\n${message}`;
    if (this.noteKeys.has(key)) return;
    this.noteKeys.add(key);
    this.notes.push({ pointer, message });
  }

  /** The SDL of every type mapped so far, plus the scalars something used. */
  typeDefinitions(): TypeDefinition[] {
    return [
      ...this.definitions,
      ...(this.usesJson ? [{ name: 'JSON', sdl: sharedScalarSdl('JSON') }] : []),
      ...(this.usesDateTime ? [{ name: 'DateTime', sdl: sharedScalarSdl('DateTime') }] : []),
    ];
  }

  /**
   * Fills in the member properties of every union once all object types are complete (a member's fields may
   * still have been in the making when the union was met, through recursion).
   */
  finishUnions(): void {
    for (const { name, shape, members } of this.pendingUnions) {
      const resolution: UnionResolution['members'][number][] = [];
      for (const { member, objectShape } of members) {
        for (const field of objectShape.fields) member.properties.add(field.from);
        const toGraphql = new Map(objectShape.fields.map((field) => [field.from, field.to]));
        resolution.push({
          typeName: member.typeName,
          properties: new Set(objectShape.fields.map((field) => field.to)),
          required: member.required.map((key) => toGraphql.get(key) ?? key),
        });
      }
      this.unionShapes.push(shape);
      this.unions.set(name, { members: resolution });
    }
    this.pendingUnions.length = 0;
  }

  /** `base` names inline types found under this schema (`ListPetsResponse`, `PetAddress`). */
  map(node: SpecNode, mode: Mode, base: string): MappedType {
    const target = this.spec.deref(node);
    if (target === node) return this.mapSchema(node, mode, base);
    const named = this.namedTypes.get(`${mode}:${nodeKey(target)}`) ?? this.namedTypes.get(`enum:${nodeKey(target)}`);
    if (named) return this.fromNamed(named, mode, allowsNull(target.value));
    const key = `${mode}:${nodeKey(target)}`;
    if (this.inlining.has(key)) return this.json(target, 'the schema contains itself with no object type in between', true);
    this.inlining.add(key);
    try {
      return this.mapSchema(target, mode, this.componentNames.get(nodeKey(target))?.base ?? this.baseFromPointer(target));
    } finally {
      this.inlining.delete(key);
    }
  }

  private fromNamed(named: NamedType, mode: Mode, nullable: boolean): MappedType {
    const shape = named.kind === 'enum' ? named.enumShapes?.[mode] : named.shape;
    return { type: named.name, kind: named.kind, nullable, shape, literal: named.literal };
  }

  private baseFromPointer(node: SpecNode): string {
    return graphqlTypeName(parsePointer(node.pointer)?.at(-1) ?? 'Schema');
  }

  private mapSchema(node: SpecNode, mode: Mode, base: string): MappedType {
    const schema = node.value;
    // Nothing is at the schema's own pointer, so the note points at what lacks one (the media type, ...).
    if (schema === undefined) return this.json({ ...node, pointer: node.pointer.replace(/\/[^/]*$/, '') || '#' }, 'no schema is given', true);
    if (!isRecord(schema)) return this.json(node, 'not a schema object', true);
    const nullable = allowsNull(schema);
    for (const keyword of ['oneOf', 'anyOf'] as const) {
      const members = schema[keyword];
      if (!Array.isArray(members)) continue;
      // `properties` plus `oneOf: [{ required: [a] }, { required: [b] }]` is an object with a validation rule.
      if (isRecord(schema['properties']) && members.every(isConstraintOnly)) {
        this.note(childNode(node, keyword), `${keyword} only constrains which properties are required: not enforced`);
        return this.mapObject(node, mode, base, nullable);
      }
      return this.mapAlternatives(node, keyword, mode, base, nullable);
    }
    if (Array.isArray(schema['allOf'])) return this.mapAllOf(node, mode, base, nullable);
    const types = declaredTypes(schema);
    if (types.length > 1) return this.json(node, `several types (${types.join(', ')}) have no GraphQL equivalent`, nullable);
    if (Array.isArray(schema['enum'])) return this.mapEnum(node, mode, types[0], base, nullable);
    const type = types[0] ?? (isRecord(schema['properties']) ? 'object' : schema['items'] !== undefined ? 'array' : undefined);
    switch (type) {
      case 'object':
        return this.mapObject(node, mode, base, nullable);
      case 'array':
        return this.mapArray(node, mode, base, nullable);
      case 'string':
      case 'integer':
      case 'number':
      case 'boolean': {
        const format = type === 'integer' ? int64Format(schema) : undefined;
        if (format !== undefined) return int64Type(mode, format, nullable);
        const scalar = this.scalar(node, type);
        return { type: scalar, kind: 'scalar', nullable, shape: undefined, literal: (value) => renderLiteral(scalar, value) };
      }
      case undefined:
        return this.json(node, 'the schema declares no type', nullable);
      default:
        return this.json(childNode(node, 'type'), `unknown type ${JSON.stringify(type)}`, nullable);
    }
  }

  private scalar(node: SpecNode, type: 'string' | 'integer' | 'number' | 'boolean'): string {
    const format = isRecord(node.value) ? node.value['format'] : undefined;
    // int64/uint64 are Strings (see int64.ts); this is only reached for them by enums that fall back to a scalar.
    if (type === 'integer') return format === 'int64' || format === 'uint64' ? 'String' : 'Int';
    if (type === 'string' && format === 'date-time') {
      this.usesDateTime = true;
      return 'DateTime';
    }
    // `binary` and `byte` stay String: base64 text in JSON and multipart bodies (see the transport).
    return { string: 'String', number: 'Float', boolean: 'Boolean' }[type];
  }

  private json(at: SpecNode, message: string, nullable: boolean): MappedType {
    this.usesJson = true;
    this.note(at, `${message}: mapped to JSON`);
    return { type: 'JSON', kind: 'json', nullable, shape: undefined, literal: untypedLiteral };
  }

  /**
   * `oneOf`/`anyOf` of one schema and `null` is a nullable schema. Output alternatives that are all objects
   * become a union; anything else (scalar members, inputs, which GraphQL 16 has no `@oneOf` for) is JSON.
   */
  private mapAlternatives(node: SpecNode, keyword: 'oneOf' | 'anyOf', mode: Mode, base: string, nullable: boolean): MappedType {
    const schema = node.value as Record<string, unknown>;
    const members = (schema[keyword] as unknown[] | undefined) ?? [];
    const options = members.map((_, index) => childNode(node, keyword, index)).filter((member) => !isNullOnly(this.spec.deref(member).value));
    const orNull = nullable || options.length < members.length;
    // Distinct targets only: `oneOf: [A, A]` (or a mapping that lists a schema twice) is just A.
    const distinct = [...new Map(options.map((option) => [nodeKey(this.spec.deref(option)), option])).values()];
    const only = distinct[0];
    if (distinct.length === 1 && only) {
      const mapped = this.map(only, mode, base);
      return { ...mapped, nullable: mapped.nullable || orNull };
    }
    if (distinct.length === 0) return this.json(childNode(node, keyword), `${keyword} has no non-null member`, true);
    if (mode === 'input') return this.json(childNode(node, keyword), `${keyword} in an input has no GraphQL equivalent (no @oneOf input objects)`, true);
    const notObject = distinct.find((option) => !this.isObjectSchema(option));
    if (notObject) return this.json(childNode(node, keyword), `${keyword} with a member that is not an object (${nodeLabel(notObject)}) cannot be a union`, true);
    return this.unionType(node, keyword, distinct, base, orNull);
  }

  /** Whether a schema will map to an object type, judged before mapping it (unions must be registered first). */
  private isObjectSchema(node: SpecNode, depth = 0): boolean {
    const target = this.spec.deref(node);
    const value = target.value;
    if (!isRecord(value) || depth > 8) return false;
    if (value['oneOf'] !== undefined || value['anyOf'] !== undefined || value['enum'] !== undefined) return false;
    const types = declaredTypes(value);
    if (types.some((type) => type !== 'object')) return false;
    if (isRecord(value['properties']) && Object.keys(value['properties']).length > 0) return true;
    const allOf = value['allOf'];
    return Array.isArray(allOf) && allOf.some((_, index) => this.isObjectSchema(childNode(target, 'allOf', index), depth + 1));
  }

  private unionType(node: SpecNode, keyword: 'oneOf' | 'anyOf', options: readonly SpecNode[], base: string, nullable: boolean): MappedType {
    const key = `output:${nodeKey(node)}`;
    const existing = this.namedTypes.get(key);
    if (existing) return this.fromNamed(existing, 'output', nullable);
    const name = this.typeName(node, 'output', base);
    const shape: UnionShape = { kind: 'union', members: [], discriminator: undefined };
    this.namedTypes.set(key, { name, kind: 'union', shape, literal: noLiteral });
    const slot = this.definitions.push({ name, sdl: '' }) - 1;

    const pending: { member: UnionMember; objectShape: ObjectShape }[] = [];
    const byTarget = new Map<string, UnionMember>();
    const typeNames: string[] = [];
    options.forEach((option, index) => {
      const target = this.spec.deref(option);
      const mapped = this.map(option, 'output', `${name}${index + 1}`);
      if (mapped.kind !== 'object' || !mapped.shape || mapped.shape.kind !== 'object' || typeNames.includes(mapped.type)) {
        this.note(option, `${keyword} member is not a distinct object type: left out of union ${name}`);
        return;
      }
      const targetValue = isRecord(target.value) ? target.value : {};
      const required = Array.isArray(targetValue['required']) ? targetValue['required'].filter((entry): entry is string => typeof entry === 'string') : [];
      const member: UnionMember = { typeName: mapped.type, properties: new Set<string>(), required, shape: mapped.shape };
      typeNames.push(mapped.type);
      shape.members.push(member);
      byTarget.set(nodeKey(target), member);
      pending.push({ member, objectShape: mapped.shape });
    });
    if (typeNames.length === 0) {
      // Registered before its members were known (recursion may name it): keep the name, as an opaque scalar.
      this.usesJson = true;
      this.note(childNode(node, keyword), `no member of the ${keyword} is an object type: ${name} is a JSON scalar`);
      this.definitions[slot] = { name, sdl: `scalar ${name}` };
      return { type: name, kind: 'json', nullable, shape: undefined, literal: untypedLiteral };
    }
    shape.discriminator = this.discriminatorOf(node, byTarget);
    this.pendingUnions.push({ name, shape, members: pending });
    const description = describe((node.value as Record<string, unknown>)['description'], '');
    this.definitions[slot] = { name, sdl: `${description}union ${name} = ${typeNames.join(' | ')}` };
    return { type: name, kind: 'union', nullable, shape, literal: noLiteral };
  }

  /** The discriminator's property and its values: the explicit `mapping`, else each member's component name. */
  private discriminatorOf(node: SpecNode, byTarget: ReadonlyMap<string, UnionMember>): UnionShape['discriminator'] {
    const discriminator = (node.value as Record<string, unknown>)['discriminator'];
    if (!isRecord(discriminator) || typeof discriminator['propertyName'] !== 'string') return undefined;
    const mapping = new Map<string, UnionMember>();
    const explicit = isRecord(discriminator['mapping']) ? discriminator['mapping'] : {};
    for (const [value, target] of Object.entries(explicit)) {
      if (typeof target !== 'string') continue;
      const ref = target.includes('#') || target.includes('/') ? target : `#/components/schemas/${target}`;
      const resolved = this.spec.deref({ doc: node.doc, pointer: node.pointer, value: { $ref: ref } });
      const member = byTarget.get(nodeKey(resolved));
      if (member) mapping.set(value, member);
      else this.note(childNode(node, 'discriminator', 'mapping', value), `discriminator value ${JSON.stringify(value)} names no member of the union: ignored`);
    }
    for (const [key, member] of byTarget) {
      const component = this.componentNames.get(key)?.component;
      if (component !== undefined && !mapping.has(component) && ![...mapping.values()].includes(member)) mapping.set(component, member);
    }
    return { property: discriminator['propertyName'], mapping };
  }

  private mapAllOf(node: SpecNode, mode: Mode, base: string, nullable: boolean): MappedType {
    const schema = node.value as Record<string, unknown>;
    const members = schema['allOf'] as unknown[];
    const first = members[0];
    // `allOf: [{ $ref }]` beside `nullable` or a description is how 3.0 annotates a reference: keep the referenced type.
    if (members.length === 1 && first !== undefined && !isRecord(schema['properties']) && declaredTypes(schema).length === 0) {
      const mapped = this.map(childNode(node, 'allOf', 0), mode, base);
      return { ...mapped, nullable: mapped.nullable || nullable };
    }
    const properties = new Map<string, SpecNode>();
    const required = new Set<string>();
    const visited = new Set<string>();
    let mergeable = true;
    const collect = (member: SpecNode): void => {
      const target = this.spec.deref(member);
      const value = target.value;
      if (visited.has(nodeKey(target))) return;
      visited.add(nodeKey(target));
      if (!isRecord(value)) return void (mergeable = false);
      const types = declaredTypes(value);
      if (value['oneOf'] !== undefined || value['anyOf'] !== undefined || types.some((type) => type !== 'object')) mergeable = false;
      if (Array.isArray(value['allOf'])) value['allOf'].forEach((_, index) => collect(childNode(target, 'allOf', index)));
      if (isRecord(value['properties'])) {
        for (const name of Object.keys(value['properties'])) properties.set(name, childNode(target, 'properties', name));
      }
      if (Array.isArray(value['required'])) for (const name of value['required']) if (typeof name === 'string') required.add(name);
    };
    collect(node);
    if (!mergeable || properties.size === 0) return this.json(childNode(node, 'allOf'), 'allOf of schemas that are not all objects', nullable);
    return this.objectType(node, mode, base, [...properties], required, nullable);
  }

  private mapObject(node: SpecNode, mode: Mode, base: string, nullable: boolean): MappedType {
    const schema = node.value as Record<string, unknown>;
    const properties = isRecord(schema['properties']) ? Object.keys(schema['properties']) : [];
    const extra = schema['additionalProperties'];
    if (properties.length === 0) {
      const why = extra !== undefined && extra !== false ? 'a map (additionalProperties)' : 'a free-form object';
      return this.json(node, `${why} has no GraphQL equivalent`, nullable);
    }
    if (extra !== undefined && extra !== false) this.note(childNode(node, 'additionalProperties'), 'additional properties are not exposed: only the declared ones are');
    const required = new Set(Array.isArray(schema['required']) ? schema['required'].filter((name): name is string => typeof name === 'string') : []);
    const entries = properties.map((name): [string, SpecNode] => [name, childNode(node, 'properties', name)]);
    return this.objectType(node, mode, base, entries, required, nullable);
  }

  private objectType(
    node: SpecNode,
    mode: Mode,
    base: string,
    properties: readonly (readonly [string, SpecNode])[],
    required: ReadonlySet<string>,
    nullable: boolean,
  ): MappedType {
    const key = `${mode}:${nodeKey(node)}`;
    const existing = this.namedTypes.get(key);
    if (existing) return this.fromNamed(existing, mode, nullable);
    // readOnly properties are answers only, writeOnly ones requests only (passwords).
    const hidden = mode === 'input' ? 'readOnly' : 'writeOnly';
    const visible = properties.filter(([, property]) => {
      const value = this.spec.deref(property).value;
      return !(isRecord(value) && value[hidden] === true);
    });
    if (visible.length === 0) return this.json(node, `every property is ${hidden}`, nullable);

    const name = this.typeName(node, mode, base);
    const shape: ObjectShape = { kind: 'object', fields: [] };
    this.objectShapes.push(shape);
    this.namedTypes.set(key, { name, kind: 'object', shape, literal: noLiteral });
    // Reserve the slot first: nested types are emitted while the fields are mapped, and should come after.
    const slot = this.definitions.push({ name, sdl: '' }) - 1;
    const fieldNames = new Set<string>();
    const lines = visible.map(([property, propertyNode]) => {
      const fieldName = claimUniqueName(graphqlFieldName(property), fieldNames);
      if (fieldName !== property) this.note(propertyNode, `property ${JSON.stringify(property)} is exposed as ${fieldName}`);
      const mapped = this.map(propertyNode, mode, `${base}${pascalCase(property)}`);
      shape.fields.push(mode === 'output' ? { from: property, to: fieldName, shape: mapped.shape } : { from: fieldName, to: property, shape: mapped.shape });
      const own = isRecord(propertyNode.value) ? propertyNode.value : {};
      const target = this.spec.deref(propertyNode).value;
      const annotations = isRecord(target) ? { ...target, ...own } : own;
      const nonNull = required.has(property) && !mapped.nullable ? '!' : '';
      const defaultValue = mode === 'input' ? this.defaultClause(propertyNode, annotations, mapped) : '';
      // GraphQL forbids deprecating a required input field or argument.
      const deprecated = annotations['deprecated'] === true && (mode === 'output' || nonNull === '') ? ' @deprecated' : '';
      return `${describe(annotations['description'], '  ')}  ${fieldName}: ${mapped.type}${nonNull}${defaultValue}${deprecated}`;
    });
    const keyword = mode === 'input' ? 'input' : 'type';
    this.definitions[slot] = { name, sdl: `${describe((node.value as Record<string, unknown>)['description'], '')}${keyword} ${name} {\n${lines.join('\n')}\n}` };
    return { type: name, kind: 'object', nullable, shape, literal: noLiteral };
  }

  /** ` = <literal>` for a schema's `default`, or '' (with a note when the default cannot be written in GraphQL). */
  defaultClause(at: SpecNode, schema: Readonly<Record<string, unknown>>, mapped: MappedType): string {
    if (!('default' in schema) || schema['default'] === undefined) return '';
    const literal = schema['default'] === null ? 'null' : mapped.literal(schema['default']);
    if (literal === undefined) {
      this.note(at, `default value ${JSON.stringify(schema['default'])} cannot be written as a ${mapped.type} literal: not shown`);
      return '';
    }
    return ` = ${literal}`;
  }

  private mapArray(node: SpecNode, mode: Mode, base: string, nullable: boolean): MappedType {
    const items = childNode(node, 'items');
    if (!isRecord(items.value)) {
      this.usesJson = true;
      this.note(node, 'array without an items schema: mapped to [JSON]');
      return { type: '[JSON]', kind: 'list', nullable, shape: undefined, literal: untypedLiteral };
    }
    const mapped = this.map(items, mode, `${base}Item`);
    const literal: LiteralRenderer = (value) => {
      if (!Array.isArray(value)) return undefined;
      const parts = value.map((item: unknown) => (item === null ? 'null' : mapped.literal(item)));
      return parts.every((part): part is string => part !== undefined) ? `[${parts.join(', ')}]` : undefined;
    };
    return {
      type: `[${mapped.type}${mapped.nullable ? '' : '!'}]`,
      kind: 'list',
      nullable,
      shape: mapped.shape && { kind: 'list', items: mapped.shape },
      literal,
    };
  }

  /**
   * String or number enums become GraphQL enums. Values that are not valid enum value names get one
   * (`in-stock` → `IN_STOCK`, `1` → `_1`, or the `x-enum-varnames` entry), translated both ways on the wire.
   */
  private mapEnum(node: SpecNode, mode: Mode, type: string | undefined, base: string, nullable: boolean): MappedType {
    const schema = node.value as Record<string, unknown>;
    // A value listed twice is still one value.
    const values = [...new Set(((schema['enum'] as unknown[] | undefined) ?? []).filter((value) => value !== null))];
    const allStrings = values.every((value) => typeof value === 'string');
    const allNumbers = values.every((value) => typeof value === 'number' && Number.isFinite(value));
    if (values.length === 0 || !(allStrings || allNumbers) || (type !== undefined && type !== 'string' && type !== 'integer' && type !== 'number')) {
      const scalarType = type === 'string' || type === 'integer' || type === 'number' || type === 'boolean' ? this.scalar(node, type) : undefined;
      if (scalarType === undefined) return this.json(childNode(node, 'enum'), 'enum of mixed values', nullable);
      this.note(childNode(node, 'enum'), `enum values cannot all be GraphQL enum values: mapped to ${scalarType}, the allowed values are not enforced`);
      return { type: scalarType, kind: 'scalar', nullable, shape: undefined, literal: (value) => renderLiteral(scalarType, value) };
    }
    const key = `enum:${nodeKey(node)}`;
    const existing = this.namedTypes.get(key);
    if (existing) return this.fromNamed(existing, mode, nullable);

    const varNames = Array.isArray(schema['x-enum-varnames']) ? schema['x-enum-varnames'] : [];
    const taken = new Set<string>();
    const names = values.map((value, index) => {
      const suggested = varNames[index];
      const wanted = typeof suggested === 'string' && enumValueName(suggested) === suggested ? suggested : enumValueName(value as string | number);
      return claimUniqueName(wanted, taken);
    });
    const renamed = values.flatMap((value, index) => (names[index] === value ? [] : [`${JSON.stringify(value)} → ${names[index] ?? ''}`]));
    const nameByWire = new Map<unknown, string>(values.map((value, index) => [value, names[index] ?? '']));
    const enumShapes =
      renamed.length === 0
        ? undefined
        : {
            output: { kind: 'enum', values: nameByWire } satisfies EnumShape,
            input: { kind: 'enum', values: new Map<unknown, unknown>(values.map((value, index) => [names[index], value])) } satisfies EnumShape,
          };
    if (renamed.length > 0) this.note(childNode(node, 'enum'), `enum values are exposed as valid GraphQL names and translated on the wire: ${renamed.join(', ')}`);
    const name = this.typeName(node, 'output', base);
    const literal: LiteralRenderer = (value) => nameByWire.get(value);
    this.namedTypes.set(key, { name, kind: 'enum', shape: undefined, enumShapes, literal });
    const lines = names.map((valueName, index) => `${describe(enumDescription(schema, values[index], index), '  ')}  ${valueName}`);
    this.definitions.push({ name, sdl: `${describe(schema['description'], '')}enum ${name} {\n${lines.join('\n')}\n}` });
    return { type: name, kind: 'enum', nullable, shape: enumShapes?.[mode], literal };
  }

  /** Output types of components keep the component's name; the rest are made from `base`, then renamed. */
  private typeName(node: SpecNode, mode: Mode, base: string): string {
    const component = this.componentNames.get(nodeKey(node));
    if (component && mode === 'output') return component.name;
    const defaultName = mode === 'input' ? `${component?.base ?? base}Input` : base;
    return this.claimTypeName(defaultName, node);
  }

  private claimTypeName(defaultName: string, node: SpecNode): string {
    const wanted = `${this.options.prefix}${this.options.rename[defaultName] ?? defaultName}`;
    const name = claimUniqueName(wanted, this.typeNames);
    if (name !== wanted) this.note(node, `type name ${wanted} is taken: named ${name}`);
    return name;
  }
}

/** `__resolveType` for each union: the `__typename` the transport put on the value, else a structural match. */
export function unionResolvers(unions: ReadonlyMap<string, UnionResolution>): Record<string, { __resolveType(value: unknown): string | undefined }> {
  const resolvers: Record<string, { __resolveType(value: unknown): string | undefined }> = {};
  for (const [name, { members }] of unions) {
    const typeNames = new Set(members.map((member) => member.typeName));
    resolvers[name] = {
      __resolveType: function resolveUnionMember(value: unknown): string | undefined {
        if (!isRecord(value)) return undefined;
        const tagged = value['__typename'];
        if (typeof tagged === 'string' && typeNames.has(tagged)) return tagged;
        return pickUnionMember(value, members)?.typeName;
      },
    };
  }
  return resolvers;
}
