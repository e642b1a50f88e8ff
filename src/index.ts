/**
 * Interchange as a library: the same gateway the CLI serves, composed in code.
 *
 *   import { createGateway, defineConfig, listen } from 'interchange';
 *   const gateway = await createGateway(defineConfig({ sources: [...] }), { plugins: [...], stages: [...] });
 *   await listen(gateway, { port: 4000, host: '127.0.0.1' });   // or gateway.fetch(request) without a socket
 */
export { createGateway, type Gateway, type GatewayOptions } from './server/create-gateway.js';
export { listen, type RunningServer } from './server/listen.js';
// Live operation: the config file watched, the admin API's sources and links, the cluster (`interchange serve` runs this).
export { createLiveGateway, type LiveGateway, type LiveGatewayOptions } from './server/live-config.js';
export type { LiveOutcome } from './admin/live-routes.js';
export { defineConfig, type ConfigInput, type DefineConfigOptions } from './config/define.js';
export { loadConfigFile as loadConfig, validateConfig, type GatewayConfig, type LoadConfigOptions } from './config/load.js';
export type { SourceConfig } from './config/schema.js';
export type { Generation } from './gateway/generation.js';
export type { LoadedSource } from './gateway/load-sources.js';
export {
  BUILTIN_STAGES,
  type BuiltinStageName,
  type CallOutcome,
  type PipelineStage,
  type SourceCall,
  type Stage,
  type StageContext,
  type StreamStage,
} from './pipeline/index.js';
export { TransportError, type ConvertedSource, type OperationSpec, type Transport, type TransportCall, type TransportFailure } from './sources/types.js';
export { SOURCE_KINDS } from './sources/registry.js';
export type { SourceKind } from './sources/kind.js';
export {
  ConfigInvalidError,
  ERROR_CODES,
  SpecInvalidError,
  StitchFailedError,
  createGatewayError,
  isBootError,
  type ErrorCode,
  type Problem,
} from './errors.js';
export type { Plugin } from 'graphql-yoga';
export type { Logger } from './observability/logger.js';
