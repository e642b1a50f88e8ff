import type { ConversionNote } from '../types.js';
import { childNode, isRecord, nodeLabel, type LoadedSpec, type SpecNode } from './load-document.js';
import { claimUniqueName, graphqlFieldName, graphqlTypeName, isValidGraphQLName, parsePointer, pascalCase } from './naming.js';
import type { ObjectShape, Shape } from './shape.js';

/** Response data maps to object types, request data to input types; enums serve both. */
export type Mode = 'output' | 'input';

export interface MappedType {
  /** GraphQL type without the outer `!`: `Pet`, `[String!]`. */
  readonly type: string;
  /** Whether the schema allows null, so that even a required property gets no `!`. */
  readonly nullable: boolean;
  readonly shape: Shape | undefined;
}

interface NamedType {
  readonly name: string;
  readonly shape: ObjectShape | undefined;
}

const RESERVED_TYPE_NAMES = ['Query', 'Mutation', 'Subscription', 'String', 'Int', 'Float', 'Boolean', 'ID', 'JSON'];

const JSON_SCALAR = '"Any JSON value: the part of the OpenAPI schema it stands for has no faithful GraphQL type."\nscalar JSON';

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

/**
 * Turns JSON schemas into GraphQL types, emitting each named type once. Named types are registered before
 * their fields are mapped, so recursive schemas end in a reference by name instead of looping.
 */
export class SchemaMapper {
  readonly notes: ConversionNote[] = [];
  /** Every object shape made, for `pruneShapes` once all types are known. */
  readonly objectShapes: ObjectShape[] = [];
  private readonly noteKeys = new Set<string>();
  private readonly definitions: string[] = [];
  private readonly typeNames = new Set(RESERVED_TYPE_NAMES);
  /** By `${mode}:${node}` for object types, `enum:${node}` for enums. */
  private readonly namedTypes = new Map<string, NamedType>();
  /** Default and final type names of `#/components/schemas/*`, claimed up front so they do not depend on use order. */
  private readonly componentNames = new Map<string, { readonly base: string; readonly name: string }>();
  /** Referenced schemas being inlined (arrays, aliases): meeting one again means it contains itself. */
  private readonly inlining = new Set<string>();
  private usesJson = false;

  constructor(
    private readonly spec: LoadedSpec,
    private readonly rename: Readonly<Record<string, string>>,
  ) {
    const root = spec.main.root;
    const schemas = isRecord(root) && isRecord(root['components']) ? root['components']['schemas'] : undefined;
    if (!isRecord(schemas)) return;
    for (const componentName of Object.keys(schemas)) {
      const node = childNode({ doc: spec.main, pointer: '#', value: root }, 'components', 'schemas', componentName);
      const base = graphqlTypeName(componentName);
      this.componentNames.set(nodeKey(node), { base, name: this.claimTypeName(base, node) });
    }
  }

  note(at: SpecNode | string, message: string): void {
    const pointer = typeof at === 'string' ? at : nodeLabel(at);
    const key = `${pointer}\n${message}`;
    if (this.noteKeys.has(key)) return;
    this.noteKeys.add(key);
    this.notes.push({ pointer, message });
  }

  /** The SDL of every type mapped so far, plus `scalar JSON` when something fell back to it. */
  typeDefinitions(): string[] {
    return this.usesJson ? [...this.definitions, JSON_SCALAR] : [...this.definitions];
  }

  /** `base` names inline types found under this schema (`ListPetsResponse`, `PetAddress`). */
  map(node: SpecNode, mode: Mode, base: string): MappedType {
    const target = this.spec.deref(node);
    if (target === node) return this.mapSchema(node, mode, base);
    const named = this.namedTypes.get(`${mode}:${nodeKey(target)}`) ?? this.namedTypes.get(`enum:${nodeKey(target)}`);
    if (named) return { type: named.name, nullable: allowsNull(target.value), shape: named.shape };
    const key = `${mode}:${nodeKey(target)}`;
    if (this.inlining.has(key)) return this.json(target, 'the schema contains itself with no object type in between', true);
    this.inlining.add(key);
    try {
      return this.mapSchema(target, mode, this.componentNames.get(nodeKey(target))?.base ?? this.baseFromPointer(target));
    } finally {
      this.inlining.delete(key);
    }
  }

  private baseFromPointer(node: SpecNode): string {
    return graphqlTypeName(parsePointer(node.pointer)?.at(-1) ?? 'Schema');
  }

  private mapSchema(node: SpecNode, mode: Mode, base: string): MappedType {
    const schema = node.value;
    if (schema === undefined) return this.json(node, 'no schema is given', true);
    if (!isRecord(schema)) return this.json(node, 'not a schema object', true);
    const nullable = allowsNull(schema);
    for (const keyword of ['oneOf', 'anyOf'] as const) {
      if (Array.isArray(schema[keyword])) return this.mapAlternatives(node, keyword, mode, base, nullable);
    }
    if (Array.isArray(schema['allOf'])) return this.mapAllOf(node, mode, base, nullable);
    const types = declaredTypes(schema);
    if (types.length > 1) return this.json(node, `several types (${types.join(', ')}) have no GraphQL equivalent`, nullable);
    if (Array.isArray(schema['enum'])) return this.mapEnum(node, types[0], base, nullable);
    const type = types[0] ?? (isRecord(schema['properties']) ? 'object' : schema['items'] !== undefined ? 'array' : undefined);
    switch (type) {
      case 'object':
        return this.mapObject(node, mode, base, nullable);
      case 'array':
        return this.mapArray(node, mode, base, nullable);
      case 'string':
      case 'integer':
      case 'number':
      case 'boolean':
        return { type: this.scalar(node, type), nullable, shape: undefined };
      case undefined:
        return this.json(node, 'the schema declares no type', nullable);
      default:
        return this.json(childNode(node, 'type'), `unknown type ${JSON.stringify(type)}`, nullable);
    }
  }

  private scalar(node: SpecNode, type: 'string' | 'integer' | 'number' | 'boolean'): string {
    if (type === 'integer') {
      if (isRecord(node.value) && node.value['format'] === 'int64') {
        // GraphQL Int is 32-bit; Float carries every integer JSON.parse can give us exactly (up to 2^53).
        this.note(node, 'int64 is mapped to Float: integers beyond 2^53 lose precision');
        return 'Float';
      }
      return 'Int';
    }
    return { string: 'String', number: 'Float', boolean: 'Boolean' }[type];
  }

  private json(at: SpecNode, message: string, nullable: boolean): MappedType {
    this.usesJson = true;
    this.note(at, `${message}: mapped to JSON`);
    return { type: 'JSON', nullable, shape: undefined };
  }

  /** `oneOf`/`anyOf` of one schema and `null` is a nullable schema; anything else is a union GraphQL cannot input or type faithfully. */
  private mapAlternatives(node: SpecNode, keyword: 'oneOf' | 'anyOf', mode: Mode, base: string, nullable: boolean): MappedType {
    const members = (node.value as Record<string, unknown[]>)[keyword] ?? [];
    const options = members.map((_, index) => childNode(node, keyword, index)).filter((member) => !isNullOnly(this.spec.deref(member).value));
    const only = options[0];
    if (options.length === 1 && only) {
      const mapped = this.map(only, mode, base);
      return { ...mapped, nullable: mapped.nullable || nullable || options.length < members.length };
    }
    return this.json(childNode(node, keyword), `${keyword} has no faithful GraphQL type`, true);
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
    if (existing) return { type: existing.name, nullable, shape: existing.shape };
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
    this.namedTypes.set(key, { name, shape });
    // Reserve the slot first: nested types are emitted while the fields are mapped, and should come after.
    const slot = this.definitions.push('') - 1;
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
      // A deprecated input field must be optional; deprecation is only shown on output fields.
      const deprecated = mode === 'output' && annotations['deprecated'] === true ? ' @deprecated' : '';
      return `${describe(annotations['description'], '  ')}  ${fieldName}: ${mapped.type}${nonNull}${deprecated}`;
    });
    const keyword = mode === 'input' ? 'input' : 'type';
    this.definitions[slot] = `${describe((node.value as Record<string, unknown>)['description'], '')}${keyword} ${name} {\n${lines.join('\n')}\n}`;
    return { type: name, nullable, shape };
  }

  private mapArray(node: SpecNode, mode: Mode, base: string, nullable: boolean): MappedType {
    const items = childNode(node, 'items');
    if (!isRecord(items.value)) {
      this.usesJson = true;
      this.note(node, 'array without an items schema: mapped to [JSON]');
      return { type: '[JSON]', nullable, shape: undefined };
    }
    const mapped = this.map(items, mode, `${base}Item`);
    return {
      type: `[${mapped.type}${mapped.nullable ? '' : '!'}]`,
      nullable,
      shape: mapped.shape && { kind: 'list', items: mapped.shape },
    };
  }

  private mapEnum(node: SpecNode, type: string | undefined, base: string, nullable: boolean): MappedType {
    const values = ((node.value as Record<string, unknown[]>)['enum'] ?? []).filter((value) => value !== null);
    const names = values.filter((value): value is string => typeof value === 'string');
    const faithful =
      names.length === values.length &&
      names.length > 0 &&
      new Set(names).size === names.length &&
      names.every((value) => isValidGraphQLName(value) && value !== 'true' && value !== 'false' && value !== 'null');
    if (!faithful) {
      const scalarType = type === 'string' || type === 'integer' || type === 'number' || type === 'boolean' ? this.scalar(node, type) : names.length === values.length ? 'String' : undefined;
      if (scalarType === undefined) return this.json(childNode(node, 'enum'), 'enum of mixed values', nullable);
      this.note(childNode(node, 'enum'), `enum values are not all valid GraphQL enum values: mapped to ${scalarType}, the allowed values are not enforced`);
      return { type: scalarType, nullable, shape: undefined };
    }
    const key = `enum:${nodeKey(node)}`;
    const existing = this.namedTypes.get(key);
    if (existing) return { type: existing.name, nullable, shape: undefined };
    const name = this.typeName(node, 'output', base);
    this.namedTypes.set(key, { name, shape: undefined });
    const description = describe((node.value as Record<string, unknown>)['description'], '');
    this.definitions.push(`${description}enum ${name} {\n${names.map((value) => `  ${value}`).join('\n')}\n}`);
    return { type: name, nullable, shape: undefined };
  }

  /** Output types of components keep the component's name; the rest are made from `base`, then renamed. */
  private typeName(node: SpecNode, mode: Mode, base: string): string {
    const component = this.componentNames.get(nodeKey(node));
    if (component && mode === 'output') return component.name;
    const defaultName = mode === 'input' ? `${component?.base ?? base}Input` : base;
    return this.claimTypeName(defaultName, node);
  }

  private claimTypeName(defaultName: string, node: SpecNode): string {
    const wanted = this.rename[defaultName] ?? defaultName;
    const name = claimUniqueName(wanted, this.typeNames);
    if (name !== wanted) this.note(node, `type name ${wanted} is taken: named ${name}`);
    return name;
  }
}
