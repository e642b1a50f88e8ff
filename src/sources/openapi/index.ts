/** The `openapi` source kind: an OpenAPI 3.0/3.1 or Swagger 2.0 document → GraphQL SDL + an undici HTTP transport. */
export { convertOpenApi, type OpenApiSourceOptions } from './convert.js';
export type { BodyEncoding, OpenApiOperation, OpenApiParameter, OpenApiRequestBody, OpenApiResponse, ParameterStyle, PathPiece } from './operation.js';
export { createOpenApiTransport, type OpenApiTransportOptions } from './transport.js';
export { openapiSource } from './kind.js';
export { openapiSourceSchema, type OpenApiSourceConfig } from './config.js';
