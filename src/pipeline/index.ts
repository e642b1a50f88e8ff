/** The source-call pipeline: every backend call of every kind of source goes through it (see `create-source-pipeline.ts`). */
export { BUILTIN_STAGES, createSourcePipeline, orderStages, type SourcePipeline, type SourcePipelineOptions } from './create-source-pipeline.js';
export { createRetainedState, type RetainedState } from './retained.js';
export type { BuiltinStageName, PipelineStage, StageContext } from './stage.js';
export { DEFAULT_TIMEOUT_MS } from './timeout.js';
export { composeStages, composeStreamStages, type CallOutcome, type SourceCall, type Stage, type StreamStage, type StreamTerminal, type Terminal } from './types.js';
export { instrumentTransport, type InstrumentTransportOptions } from './instrument-transport.js';
