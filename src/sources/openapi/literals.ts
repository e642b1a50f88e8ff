/** GraphQL literals for JSON values: how spec `default`s are written into the SDL. */

/** A JSON value as a literal of one GraphQL type; undefined when the value does not fit the type. */
export type LiteralRenderer = (value: unknown) => string | undefined;

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

/** Literal of a built-in or declared scalar; strict, because a default GraphQL cannot coerce fails every request. */
export function renderLiteral(scalar: string, value: unknown): string | undefined {
  switch (scalar) {
    case 'Int':
      return typeof value === 'number' && Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX ? String(value) : undefined;
    case 'Float':
      return typeof value === 'number' && Number.isFinite(value) ? String(value) : undefined;
    case 'Boolean':
      return typeof value === 'boolean' ? String(value) : undefined;
    case 'String':
    case 'DateTime':
      return typeof value === 'string' ? JSON.stringify(value) : undefined;
    default:
      return undefined;
  }
}

/**
 * Any JSON value as an untyped literal (what the `JSON` scalar's default literal parsing reads back); object
 * keys that are not GraphQL names cannot be written, so such values give undefined.
 */
export function untypedLiteral(value: unknown): string | undefined {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
  if (Array.isArray(value)) {
    const items = value.map(untypedLiteral);
    return items.every((item): item is string => item !== undefined) ? `[${items.join(', ')}]` : undefined;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).map(([key, entry]) => {
      const literal = untypedLiteral(entry);
      return NAME.test(key) && literal !== undefined ? `${key}: ${literal}` : undefined;
    });
    return entries.every((entry): entry is string => entry !== undefined) ? `{${entries.join(', ')}}` : undefined;
  }
  return undefined;
}
