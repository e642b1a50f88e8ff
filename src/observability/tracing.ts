import type * as OtelApi from '@opentelemetry/api';

/**
 * OpenTelemetry tracing with OTLP/HTTP export. Every OpenTelemetry module is imported here, dynamically, and
 * only when `telemetry.otlp.endpoint` is set: the rest of the code uses the objects below and imports types
 * only, so a gateway without tracing loads no OpenTelemetry code at all and makes no span.
 */
export interface Tracing extends AsyncDisposable {
  /** `@opentelemetry/api`, loaded. */
  readonly api: typeof OtelApi;
  readonly tracer: OtelApi.Tracer;
  /** W3C Trace Context: `traceparent` and `tracestate`, extracted from clients and injected into backend calls. */
  readonly propagator: OtelApi.TextMapPropagator;
  /** Sends the spans ended so far (tests, shutdown). */
  forceFlush(): Promise<void>;
}

export interface TracingOptions {
  /** Base URL of the OTLP/HTTP receiver; `/v1/traces` is appended unless it is there. */
  endpoint: string;
  headers?: Readonly<Record<string, string>> | undefined;
  serviceName: string;
  /** Share of traces started here (no sampled parent from the client) that are recorded, 0 to 1. */
  sampleRatio: number;
}

/** The OTLP/HTTP traces URL of a receiver's base URL. */
export function tracesUrl(endpoint: string): string {
  const url = new URL(endpoint);
  if (!url.pathname.endsWith('/v1/traces')) url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/traces`;
  return url.toString();
}

/** Whether this process installed the async context manager (it is global to the process, like the API's). */
let contextManagerInstalled = false;

export async function startTracing(options: TracingOptions): Promise<Tracing> {
  const [api, core, sdk, otlp, contextHooks, resources] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/core'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/context-async-hooks'),
    import('@opentelemetry/resources'),
  ]);
  // Source-call spans find their request's span through the active context, across the resolvers' awaits.
  // When the process already has a context manager (a library user's own SDK), that one is used.
  if (!contextManagerInstalled) {
    contextManagerInstalled = api.context.setGlobalContextManager(new contextHooks.AsyncLocalStorageContextManager().enable()) || true;
  }
  const exporter = new otlp.OTLPTraceExporter({ url: tracesUrl(options.endpoint), headers: { ...options.headers } });
  // The provider is not registered globally: several gateways in one process (tests) keep their own.
  const provider = new sdk.BasicTracerProvider({
    resource: resources.resourceFromAttributes({ 'service.name': options.serviceName }),
    sampler: new sdk.ParentBasedSampler({ root: new sdk.TraceIdRatioBasedSampler(options.sampleRatio) }),
    spanProcessors: [new sdk.BatchSpanProcessor(exporter)],
  });
  return {
    api,
    tracer: provider.getTracer('interchange'),
    propagator: new core.W3CTraceContextPropagator(),
    forceFlush: () => provider.forceFlush(),
    [Symbol.asyncDispose]: () => provider.shutdown(),
  };
}
