/**
 * 64-bit integers (`type: integer, format: int64 | uint64`) are GraphQL Strings, as in the gRPC source: GraphQL
 * Int is 32-bit and a JS number is exact only up to 2^53. The transport keeps every digit in both directions:
 * responses that can carry one are parsed with lossless-json, and int64 arguments are checked, turned into
 * bigints by their shape and written back as bare JSON numbers.
 */
import { parse as parseLossless, stringify as stringifyLossless } from 'lossless-json';
import { childNode, isRecord, type SpecNode } from './load-document.js';

export type Int64Format = 'int64' | 'uint64';

const RANGES: Readonly<Record<Int64Format, readonly [bigint, bigint]>> = {
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
};

/** Optionally signed base-10 digits; `BigInt()` alone would also take `0x1f`, `' 12 '` and `''`. */
const DECIMAL_INTEGER = /^[+-]?\d+$/;

/** The 64-bit format of an integer schema, matching how the mapper reads `type` (3.1 may add `'null'`). */
export function int64Format(schema: unknown): Int64Format | undefined {
  if (!isRecord(schema)) return undefined;
  const format = schema['format'];
  if (format !== 'int64' && format !== 'uint64') return undefined;
  const type = schema['type'];
  const types = Array.isArray(type) ? type.filter((entry) => entry !== 'null') : [type];
  return types.length === 1 && types[0] === 'integer' ? format : undefined;
}

/** An argument value that is not a base-10 integer in the format's range. */
export class InvalidInt64Error extends Error {
  override readonly name = 'InvalidInt64Error';
  constructor(value: unknown, format: Int64Format) {
    super(`${JSON.stringify(value) ?? String(value)} is not a base-10 ${format} integer`);
  }
}

/** The argument's value as a bigint: a string of digits (what the String argument gives) or a safe integer. */
export function int64Value(value: unknown, format: Int64Format): bigint {
  let parsed: bigint | undefined;
  if (typeof value === 'string' && DECIMAL_INTEGER.test(value)) parsed = BigInt(value);
  else if (typeof value === 'number' && Number.isSafeInteger(value)) parsed = BigInt(value);
  const [min, max] = RANGES[format];
  if (parsed === undefined || parsed < min || parsed > max) throw new InvalidInt64Error(value, format);
  return parsed;
}

/** A spec `default` of an int64 as a String literal; undefined when it is not an integer in range. */
export function int64Literal(value: unknown, format: Int64Format): string | undefined {
  try {
    return JSON.stringify(int64Value(value, format).toString());
  } catch {
    return undefined;
  }
}

/**
 * Integers JSON.parse would round keep their digits as a string (what the String field serializes); every
 * other number is the same JS number JSON.parse gives, so Float and Int fields see no difference. A JSON
 * scalar field in such a response gets those few integers as strings too: exact beats rounded.
 */
function parseNumberLosslessly(text: string): number | string {
  const number = Number(text);
  return Number.isSafeInteger(number) || !/^-?\d+$/.test(text) ? number : text;
}

/** JSON.parse keeps the last of repeated keys; lossless-json would throw unless told to do the same. */
function keepLastKey({ newValue }: { readonly newValue: unknown }): unknown {
  return newValue;
}

/**
 * JSON.parse without losing digits. lossless-json (no dependencies) rather than our own parser: a JSON parser
 * is easy to get subtly wrong, and Node 20 has no `JSON.parse` source access to do it with the built-in one.
 * Throws SyntaxError like JSON.parse.
 */
export function parseJsonLosslessly(text: string): unknown {
  return parseLossless(text, null, { parseNumber: parseNumberLosslessly, onDuplicateKey: keepLastKey });
}

/** JSON.stringify that writes bigints (shaped int64 arguments) as bare numbers with every digit. */
export function stringifyJsonLosslessly(value: unknown): string {
  return stringifyLossless(value) ?? 'null';
}

/** The schemas a schema is made of: properties, items, combinations and additional properties. */
function subschemas(node: SpecNode): SpecNode[] {
  const schema = node.value as Record<string, unknown>;
  const children: SpecNode[] = [];
  for (const keyword of ['properties', 'patternProperties'] as const) {
    const map = schema[keyword];
    if (isRecord(map)) for (const name of Object.keys(map)) children.push(childNode(node, keyword, name));
  }
  for (const keyword of ['allOf', 'oneOf', 'anyOf', 'prefixItems'] as const) {
    const list = schema[keyword];
    if (Array.isArray(list)) list.forEach((_, index) => children.push(childNode(node, keyword, index)));
  }
  for (const keyword of ['items', 'additionalProperties'] as const) {
    if (isRecord(schema[keyword])) children.push(childNode(node, keyword));
  }
  return children;
}

/**
 * Whether a response schema reaches an int64 anywhere, decided once per operation at conversion time. Answers
 * are kept across operations (a search that finds nothing clears every schema it visited; one that finds an
 * int64 marks the path to it), so a large spec whose responses share schemas is walked about once.
 */
export class Int64Finder {
  private readonly reaching = new Set<string>();
  private readonly clear = new Set<string>();

  constructor(private readonly deref: (node: SpecNode) => SpecNode) {}

  reaches(node: SpecNode): boolean {
    const visited = new Set<string>();
    const found = this.search(node, visited);
    if (!found) for (const key of visited) this.clear.add(key);
    return found;
  }

  private search(node: SpecNode, visited: Set<string>): boolean {
    const target = this.deref(node);
    const key = `${target.doc.file}${target.pointer}`;
    if (this.reaching.has(key)) return true;
    if (this.clear.has(key) || visited.has(key) || !isRecord(target.value)) return false;
    visited.add(key);
    if (int64Format(target.value) !== undefined || subschemas(target).some((child) => this.search(child, visited))) {
      this.reaching.add(key);
      return true;
    }
    return false;
  }
}
