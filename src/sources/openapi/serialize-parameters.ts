import { isPlainHeaderValue } from '../call-failure.js';
import { TransportError } from '../types.js';
import type { OpenApiOperation, OpenApiParameter } from './operation.js';
import { stringifyJsonLosslessly } from './int64.js';
import { shapeArgument } from './shape.js';

/** A scalar as text (an int64 is a bigint here: its digits); anything else (a nested object in a parameter) as JSON. */
function scalarText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return stringifyJsonLosslessly(value);
}

/** A `content` parameter's JSON text; only one that can hold an int64 pays for the lossless writer. */
function jsonText(parameter: OpenApiParameter, value: unknown): string {
  return parameter.int64 ? stringifyJsonLosslessly(value) : JSON.stringify(value);
}

/**
 * The parameter's value with SDL keys mapped back to the spec's property names and int64s checked (an invalid
 * one rejects the call, naming the argument).
 */
function wireValue(parameter: OpenApiParameter, value: unknown): unknown {
  return parameter.shape ? shapeArgument(parameter.argName, value, parameter.shape) : value;
}

/** `simple` style (path and header parameters): `a,b`, objects as `k,v,k,v` or, exploded, `k=v,k=v`. */
function simpleText(parameter: OpenApiParameter, value: unknown, encode: (text: string) => string): string {
  if (parameter.json) return encode(jsonText(parameter, value));
  if (Array.isArray(value)) return value.map((item) => encode(scalarText(item))).join(',');
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).filter(([, entry]) => entry !== undefined && entry !== null);
    return parameter.explode
      ? entries.map(([key, entry]) => `${encode(key)}=${encode(scalarText(entry))}`).join(',')
      : entries.flatMap(([key, entry]) => [encode(key), encode(scalarText(entry))]).join(',');
  }
  return encode(scalarText(value));
}

const DELIMITERS = { form: ',', spaceDelimited: '%20', pipeDelimited: '|', simple: ',', deepObject: ',' } as const;

/** Appends `name=value` pairs for one query parameter, following its style and explode. */
function appendQuery(pairs: string[], parameter: OpenApiParameter, value: unknown): void {
  const name = encodeURIComponent(parameter.name);
  if (parameter.json) {
    pairs.push(`${name}=${encodeURIComponent(jsonText(parameter, value))}`);
  } else if (Array.isArray(value)) {
    const items = value.filter((item) => item !== null && item !== undefined).map((item) => encodeURIComponent(scalarText(item)));
    if (parameter.explode) for (const item of items) pairs.push(`${name}=${item}`);
    else pairs.push(`${name}=${items.join(DELIMITERS[parameter.style])}`);
  } else if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, entry]) => entry !== undefined && entry !== null)
      .map(([key, entry]) => [encodeURIComponent(key), encodeURIComponent(scalarText(entry))] as const);
    if (parameter.style === 'deepObject') for (const [key, entry] of entries) pairs.push(`${name}[${key}]=${entry}`);
    else if (parameter.explode) for (const [key, entry] of entries) pairs.push(`${key}=${entry}`);
    else pairs.push(`${name}=${entries.flat().join(',')}`);
  } else {
    pairs.push(`${name}=${encodeURIComponent(scalarText(value))}`);
  }
}

/**
 * Path and query string of one call, from the operation's precomputed template. `staticQuery` is the source's
 * own encoded `name=value` pairs (API keys), put first.
 */
export function buildRequestPath(operation: OpenApiOperation, basePath: string, args: Readonly<Record<string, unknown>>, staticQuery: readonly string[] = []): string {
  let path = basePath;
  for (const piece of operation.pathPieces) {
    path += typeof piece === 'string' ? piece : simpleText(piece, wireValue(piece, args[piece.argName]), encodeURIComponent);
  }
  if (operation.queryParameters.length === 0) return staticQuery.length > 0 ? `${path}?${staticQuery.join('&')}` : path;
  const pairs: string[] = [...staticQuery];
  for (const parameter of operation.queryParameters) {
    const value = args[parameter.argName];
    if (value !== undefined && value !== null) appendQuery(pairs, parameter, wireValue(parameter, value));
  }
  return pairs.length > 0 ? `${path}?${pairs.join('&')}` : path;
}

/**
 * Writes the operation's header parameters into `headers` (names are already lower-case). A value a header
 * cannot carry (a line break, a character beyond ASCII) rejects the call before anything is sent: OpenAPI gives
 * header parameters no encoding, and a backend would read anything else differently from what the client meant.
 */
export function addHeaderParameters(operation: OpenApiOperation, args: Readonly<Record<string, unknown>>, headers: Record<string, string>): void {
  for (const parameter of operation.headerParameters) {
    const value = args[parameter.argName];
    if (value === undefined || value === null) continue;
    const text = simpleText(parameter, wireValue(parameter, value), (part) => part);
    if (!isPlainHeaderValue(text)) {
      throw new TransportError('rejected', `argument ${parameter.argName}: the header ${parameter.name} can only carry printable ASCII`, { argument: parameter.argName });
    }
    headers[parameter.name] = text;
  }
}

/**
 * The `cookie` header value for the operation's cookie parameters (form style: arrays and objects as
 * comma-separated lists), after any cookie the client forwarded; undefined when there is none.
 */
export function cookieHeader(operation: OpenApiOperation, args: Readonly<Record<string, unknown>>, forwarded: string | undefined): string | undefined {
  const pairs: string[] = forwarded === undefined || forwarded === '' ? [] : [forwarded];
  for (const parameter of operation.cookieParameters) {
    const value = args[parameter.argName];
    if (value !== undefined && value !== null) pairs.push(`${parameter.name}=${simpleText({ ...parameter, explode: false }, wireValue(parameter, value), encodeURIComponent)}`);
  }
  return pairs.length > 0 ? pairs.join('; ') : undefined;
}
