import { FormData } from 'undici';
import type { OpenApiRequestBody } from './operation.js';
import { stringifyJsonLosslessly } from './int64.js';
import { shapeArgument } from './shape.js';

/** What goes on the wire for one body argument; `contentType` undefined lets undici set it (multipart boundary). */
export interface EncodedBody {
  readonly body: string | Buffer | FormData;
  readonly contentType: string | undefined;
}

/** Form fields are text: scalars as they are (int64s are bigints here), anything nested as JSON (OpenAPI's default for such properties). */
function fieldText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return stringifyJsonLosslessly(value);
}

/** The object's defined properties, an array value giving one entry per item (repeated keys, form `explode`). */
function formEntries(input: unknown): [string, unknown][] {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return [];
  const entries: [string, unknown][] = [];
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) for (const item of value as unknown[]) entries.push([key, item]);
    else entries.push([key, value]);
  }
  return entries;
}

/**
 * Encodes the body argument (already coerced by GraphQL) as the operation's media type says. Throws a
 * `rejected` TransportError when an int64 in it is not a valid integer.
 */
export function encodeBody(spec: OpenApiRequestBody, input: unknown): EncodedBody {
  const value = spec.shape ? shapeArgument(spec.argName, input, spec.shape) : input;
  switch (spec.encoding) {
    case 'json':
      return { body: spec.int64 ? stringifyJsonLosslessly(value) : JSON.stringify(value), contentType: spec.contentType };
    case 'text':
      return { body: fieldText(value), contentType: spec.contentType };
    case 'binary':
      return { body: Buffer.from(fieldText(value), 'base64'), contentType: spec.contentType };
    case 'form': {
      const params = new URLSearchParams();
      for (const [key, entry] of formEntries(value)) params.append(key, fieldText(entry));
      return { body: params.toString(), contentType: spec.contentType };
    }
    case 'multipart': {
      const form = new FormData();
      for (const [key, entry] of formEntries(value)) {
        // File parts arrive as base64 text (GraphQL has no upload type here); the part's filename is its field name.
        if (spec.binaryFields.includes(key)) form.append(key, new Blob([Buffer.from(fieldText(entry), 'base64')], { type: 'application/octet-stream' }), key);
        else form.append(key, fieldText(entry));
      }
      return { body: form, contentType: undefined };
    }
  }
}
