/**
 * Shapes rename keys between the backend's JSON and the SDL (property `first-name` ↔ field `firstName`).
 * They are computed at conversion time and pruned so that a value with nothing to rename is passed through
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

export type Shape = ObjectShape | ListShape;

function needsWork(shape: Shape, needed: ReadonlySet<ObjectShape>): boolean {
  return shape.kind === 'object' ? needed.has(shape) : needsWork(shape.items, needed);
}

/**
 * Drops every shape that would only copy: marks object shapes with a renamed field, then, until nothing
 * changes, those that contain a marked one (a fixed point, because recursive types make the graph cyclic).
 */
export function pruneShapes(objects: readonly ObjectShape[]): (shape: Shape | undefined) => Shape | undefined {
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
  return prune;
}

/** Renames keys as the shape says; keys the shape does not know are dropped (the SDL has no field for them). */
export function applyShape(value: unknown, shape: Shape): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (shape.kind === 'list') {
    return Array.isArray(value) ? value.map((item: unknown) => applyShape(item, shape.items)) : value;
  }
  if (Array.isArray(value)) return value;
  const source = value as Record<string, unknown>;
  const result: Record<string, unknown> = {};
  for (const field of shape.fields) {
    const fieldValue = source[field.from];
    if (fieldValue !== undefined) result[field.to] = field.shape ? applyShape(fieldValue, field.shape) : fieldValue;
  }
  return result;
}
