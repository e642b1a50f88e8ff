import { TransportError } from '../types.js';
import { int64Value, InvalidInt64Error, type Int64Format } from './int64.js';

/**
 * Shapes translate values between the backend's JSON and the SDL: renamed keys (property `first-name` ↔ field
 * `firstName`), renamed enum values (`in-stock` ↔ `IN_STOCK`), the member type of a union value and, in
 * arguments only, int64 Strings checked and turned into bigints.
 * They are computed at conversion time and pruned so that a value with nothing to translate is passed through
 * untouched: the common case costs nothing per call. Shapes of recursive types refer to each other, so a
 * shape graph can contain cycles.
 */

export interface FieldShape {
  /** Key in the value being shaped. */
  readonly from: string;
  /** Key in the result. */
  readonly to: string;
  shape: Shape | undefined;
}

export interface ObjectShape {
  readonly kind: 'object';
  readonly fields: FieldShape[];
}

export interface ListShape {
  readonly kind: 'list';
  readonly items: Shape;
}

/** Enum values whose GraphQL name differs from the wire value; one direction per shape. */
export interface EnumShape {
  readonly kind: 'enum';
  readonly values: ReadonlyMap<unknown, unknown>;
}

/** One object type of a union, described in the backend's property names. */
export interface UnionMember {
  readonly typeName: string;
  /**
   * Wire names of the member's properties; used to tell members apart when there is no discriminator. Filled in
   * once every type is mapped (a member may still be in the making when its union is met).
   */
  readonly properties: Set<string>;
  readonly required: readonly string[];
  shape: ObjectShape | undefined;
}

/** A `oneOf`/`anyOf` response value: which member it is, then that member's shape; the result carries `__typename`. */
export interface UnionShape {
  readonly kind: 'union';
  readonly members: UnionMember[];
  /**
   * Wire property and its values → member, from the spec's `discriminator` (explicit mapping or schema names).
   * Set once the members are mapped: the shape exists before them so that recursive members can refer to it.
   */
  discriminator: { readonly property: string; readonly mapping: ReadonlyMap<string, UnionMember> } | undefined;
}

/**
 * An int64 argument: its String is checked and becomes a bigint, which the encoders write as bare digits.
 * Responses have none: their int64 values are kept exact by parsing the body losslessly.
 */
export interface Int64Shape {
  readonly kind: 'int64';
  readonly format: Int64Format;
}

export const INT64_SHAPES: Readonly<Record<Int64Format, Int64Shape>> = { int64: { kind: 'int64', format: 'int64' }, uint64: { kind: 'int64', format: 'uint64' } };

export type Shape = ObjectShape | ListShape | EnumShape | UnionShape | Int64Shape;

function needsWork(shape: Shape, needed: ReadonlySet<ObjectShape>): boolean {
  switch (shape.kind) {
    case 'object':
      return needed.has(shape);
    case 'list':
      return needsWork(shape.items, needed);
    case 'enum':
    case 'union':
    case 'int64':
      return true;
  }
}

/**
 * Drops every shape that would only copy: marks object shapes with a renamed field, then, until nothing
 * changes, those that contain a marked one or an enum/union shape (a fixed point, because recursive types
 * make the graph cyclic).
 */
export function pruneShapes(objects: readonly ObjectShape[], unions: readonly UnionShape[] = []): (shape: Shape | undefined) => Shape | undefined {
  const needed = new Set(objects.filter((object) => object.fields.some((field) => field.from !== field.to)));
  for (let changed = true; changed; ) {
    changed = false;
    for (const object of objects) {
      if (!needed.has(object) && object.fields.some((field) => field.shape !== undefined && needsWork(field.shape, needed))) {
        needed.add(object);
        changed = true;
      }
    }
  }
  const prune = (shape: Shape | undefined): Shape | undefined => (shape !== undefined && needsWork(shape, needed) ? shape : undefined);
  for (const object of objects) {
    for (const field of object.fields) field.shape = prune(field.shape);
  }
  for (const union of unions) {
    for (const member of union.members) member.shape = member.shape && needed.has(member.shape) ? member.shape : undefined;
  }
  return prune;
}

/**
 * The member a value belongs to: by discriminator when the spec gives one and the value carries it, else the
 * member whose required keys are all present and that knows most of the value's keys (first wins a tie).
 */
export function pickUnionMember<M extends { readonly properties: ReadonlySet<string>; readonly required: readonly string[] }>(
  value: Readonly<Record<string, unknown>>,
  members: readonly M[],
): M | undefined {
  let best: M | undefined;
  let bestScore = -1;
  for (const member of members) {
    if (!member.required.every((key) => value[key] !== undefined)) continue;
    let score = 0;
    for (const key of Object.keys(value)) if (member.properties.has(key)) score += 1;
    if (score > bestScore) {
      best = member;
      bestScore = score;
    }
  }
  return best ?? members[0];
}

function applyUnion(value: Record<string, unknown>, shape: UnionShape): unknown {
  const tag = shape.discriminator ? value[shape.discriminator.property] : undefined;
  const member = (typeof tag === 'string' ? shape.discriminator?.mapping.get(tag) : undefined) ?? pickUnionMember(value, shape.members);
  if (!member) return value;
  const shaped = member.shape ? (applyShape(value, member.shape) as Record<string, unknown>) : { ...value };
  shaped['__typename'] = member.typeName;
  return shaped;
}

/** Translates a value as the shape says; keys an object shape does not know are dropped (the SDL has no field for them). */
export function applyShape(value: unknown, shape: Shape): unknown {
  if (shape.kind === 'enum') return shape.values.has(value) ? shape.values.get(value) : value;
  if (shape.kind === 'int64') return value === null || value === undefined ? value : int64Value(value, shape.format);
  if (value === null || typeof value !== 'object') return value;
  if (shape.kind === 'list') {
    return Array.isArray(value) ? value.map((item: unknown) => applyShape(item, shape.items)) : value;
  }
  if (Array.isArray(value)) return value;
  const source = value as Record<string, unknown>;
  if (shape.kind === 'union') return applyUnion(source, shape);
  const result: Record<string, unknown> = {};
  for (const field of shape.fields) {
    const fieldValue = source[field.from];
    if (fieldValue !== undefined) result[field.to] = field.shape ? applyShape(fieldValue, field.shape) : fieldValue;
  }
  return result;
}

/**
 * `applyShape` for one argument: an int64 that is not a valid integer rejects the call, naming the argument,
 * before anything is sent.
 */
export function shapeArgument(argName: string, value: unknown, shape: Shape): unknown {
  try {
    return applyShape(value, shape);
  } catch (error) {
    if (error instanceof InvalidInt64Error) throw new TransportError('rejected', `argument ${argName}: ${error.message}`, { argument: argName }, { cause: error });
    throw error;
  }
}

/** Whether shaping can put a bigint into the value (an int64 shape is reachable), decided at conversion time. */
export function carriesInt64(shape: Shape | undefined, seen = new Set<Shape>()): boolean {
  if (shape === undefined || seen.has(shape)) return false;
  seen.add(shape);
  switch (shape.kind) {
    case 'int64':
      return true;
    case 'list':
      return carriesInt64(shape.items, seen);
    case 'object':
      return shape.fields.some((field) => carriesInt64(field.shape, seen));
    case 'enum':
    case 'union':
      return false;
  }
}
