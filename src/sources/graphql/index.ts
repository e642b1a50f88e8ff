/** The `graphql` source kind: a remote GraphQL service, delegated to as a subschema, over an undici transport. */
export { convertRemoteSchema, loadGraphqlSource, rootTypeOf, type GraphqlSource, type GraphqlSourceOptions } from './load.js';
export { operationOf, rootFieldArguments, rootFieldNames, splitByRootField, type RootFieldDocument } from './root-field-documents.js';
export { createGraphqlTransport, type GraphqlRequestArgs, type GraphqlTransportOptions } from './transport.js';
export { graphqlSource } from './kind.js';
export { graphqlSourceSchema, type GraphqlSourceConfig } from './config.js';
export { FEDERATION_ROOT_FIELDS, readSubgraphSchema, representationOf, type FederationEntity } from './federation.js';
