export { convertProto, type GrpcOperation, type GrpcSourceOptions } from './convert-proto.js';
export { createGrpcTransport, type GrpcTransportOptions } from './create-grpc-transport.js';
