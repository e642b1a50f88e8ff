import type { OperationSpec } from '../types.js';
import type { Shape } from './shape.js';

/** How a parameter value is written into the URL or a header (OpenAPI `style` / `explode`). */
export type ParameterStyle = 'simple' | 'form' | 'spaceDelimited' | 'pipeDelimited' | 'deepObject';

export interface OpenApiParameter {
  /** Name on the wire. Header names are lower-cased. */
  readonly name: string;
  readonly in: 'path' | 'query' | 'header' | 'cookie';
  /** GraphQL argument name. */
  readonly argName: string;
  readonly style: ParameterStyle;
  readonly explode: boolean;
  /** Set when the parameter is declared with `content` instead of `schema`: its value is sent as JSON text. */
  readonly json: boolean;
  /** Maps an object argument's SDL keys back to the spec's property names, and checks int64 values. */
  readonly shape: Shape | undefined;
  /** Set when shaping can put an int64 (a bigint) into the value: a `json` parameter is then written losslessly. */
  readonly int64: boolean;
}

/**
 * How the body argument goes on the wire: `json` as is; `form` (application/x-www-form-urlencoded) and
 * `multipart` (multipart/form-data) from an object's properties; `binary` a base64 String argument sent as raw
 * bytes; `text` a String argument sent as it is.
 */
export type BodyEncoding = 'json' | 'form' | 'multipart' | 'binary' | 'text';

export interface OpenApiRequestBody {
  readonly argName: string;
  readonly contentType: string;
  readonly encoding: BodyEncoding;
  readonly shape: Shape | undefined;
  /** Set when shaping can put an int64 (a bigint) into the value: a JSON body is then written losslessly. */
  readonly int64: boolean;
  /** Multipart only: wire names of the properties that are files (`format: binary`), given as base64 text. */
  readonly binaryFields: readonly string[];
}

/**
 * What a successful response carries: `json` is parsed and shaped, `text` is returned as a string, `binary`
 * (any other declared media type) as base64 text, `none` (no content declared) resolves to `true`.
 */
export interface OpenApiResponse {
  readonly kind: 'json' | 'text' | 'binary' | 'none';
  readonly shape: Shape | undefined;
  /**
   * Set when the JSON schema reaches an int64 anywhere: the body is parsed with lossless-json, so integers past
   * 2^53 keep every digit (as strings). Other operations keep the faster `JSON.parse`.
   */
  readonly int64: boolean;
}

/** One piece of the path template: literal text, or the parameter whose value goes there. */
export type PathPiece = string | OpenApiParameter;

/** Everything the transport needs for one operation, worked out at conversion time. */
export interface OpenApiOperation extends OperationSpec {
  /** Upper-case HTTP method. */
  readonly method: string;
  /** Path template as in the spec, `/products/{id}`. */
  readonly path: string;
  readonly pathPieces: readonly PathPiece[];
  readonly queryParameters: readonly OpenApiParameter[];
  readonly headerParameters: readonly OpenApiParameter[];
  readonly cookieParameters: readonly OpenApiParameter[];
  readonly body: OpenApiRequestBody | undefined;
  readonly response: OpenApiResponse;
}
