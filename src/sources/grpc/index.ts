export { channelCredentials, readTlsFiles, type GrpcTls, type GrpcTlsFiles } from './channel-credentials.js';
export { convertProto, convertReflectedServices, type CallType, type GrpcOperation, type GrpcSourceOptions } from './convert-proto.js';
export { createGrpcTransport, type GrpcTransportOptions } from './create-grpc-transport.js';
export { loadReflectedServices, type ReflectedServices, type ReflectionOptions } from './reflection-client.js';
export { grpcSource } from './kind.js';
export { grpcSourceSchema, type GrpcSourceConfig } from './config.js';
