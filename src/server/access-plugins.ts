import type { Plugin } from 'graphql-yoga';
import { Counter } from 'prom-client';
import type { GatewayConfig } from '../config/load.js';
import { ownersSelectedBy } from '../gateway/field-owners.js';
import type { Generation } from '../gateway/generation.js';
import type { Logger } from '../observability/logger.js';
import type { GatewayEvents } from '../observability/events.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import { createAbuseDetector, type AbuseDetector, type AbuseEvent } from '../security/abuse-detector.js';
import { accessRuleOf, needsIdentity } from '../security/access-rules.js';
import { createJwtVerifier, type JwtVerifier } from '../security/jwt-verifier.js';
import { useAuth } from '../security/use-auth.js';
import { createRateLimiters } from '../security/rate-limiters.js';
import { useAbuseDetection } from '../security/use-abuse-detection.js';
import { useCaller } from '../security/use-caller.js';
import { useQueryCost } from '../security/use-query-cost.js';
import { useRateLimit } from '../security/use-rate-limit.js';
import { createWorkerAbuseDetector, type AbuseMessage } from '../security/shared-abuse-detector.js';
import type { GenerationSwap } from './generation-swap.js';
import type { WorkerChannel } from './worker-channel.js';

export interface AccessPluginsOptions {
  generations: GenerationSwap<Generation>;
  logger: Logger;
  metrics: GatewayMetrics;
  /** `rateLimitStore` (read at start): `memory` or a `redis://` URL. */
  rateLimitStore: string;
  /** The dashboard's events hook: rate-limit refusals and throttled clients are reported there. Default none. */
  events?: GatewayEvents;
  /** Injected so tests drive abuse detection with a fake clock. Default Date.now. */
  now?: () => number;
  /**
   * This process is a worker of `serve --workers N`: with N > 1, memory rate limits are counted by the primary
   * and abuse detection is the primary's (`security/shared-abuse-detector.ts`). Default: a process of its own.
   */
  worker?: WorkerChannel;
}

export interface AccessLayer extends AsyncDisposable {
  readonly plugins: Plugin[];
  /** Clients throttled now, for the admin API. */
  throttled(): AbuseEvent[];
  readonly detector: AbuseDetector;
}

/**
 * The access layer's yoga plugins, in the order they run: who is calling (IP, request id), authentication.
 * Each reads the settings of the generation the request is pinned to, so a reload changes them live; what must
 * outlive a generation (rate-limit counters, abuse baselines) is kept here, outside the generations.
 */
export async function createAccessLayer(options: AccessPluginsOptions): Promise<AccessLayer> {
  const { generations, logger, metrics } = options;
  const shared = options.worker && options.worker.count > 1 ? options.worker : undefined;
  const limiters = await createRateLimiters({ store: options.rateLimitStore, logger, clusterWorker: shared !== undefined });
  const rateLimited = new Counter({ name: 'interchange_rate_limited_total', help: 'Requests refused with 429, by the rule that refused them (ip, user, operation, source, abuse).', labelNames: ['rule'], registers: [metrics.registry] });
  const abuseEvents = new Counter({ name: 'interchange_abuse_events_total', help: 'Clients throttled by abnormal-behaviour detection, by kind (burst, probing).', labelNames: ['kind'], registers: [metrics.registry] });
  const configOf = (request: Request) => generations.pin(request).config;
  /** A client was just throttled: count it, report it, log it, POST it to the webhook (once, on one worker). */
  const announce = (event: AbuseEvent, config: GatewayConfig) => {
    abuseEvents.inc({ kind: event.kind });
    options.events?.report({ type: 'abuse', detail: `${event.client} throttled (${event.kind}) until ${new Date(event.until).toISOString()}` });
    logger.warn({ abuse: event }, `client ${event.client} throttled: ${event.kind}`);
    if (config.abuse.webhook) postEvent(config.abuse.webhook, event, logger);
  };
  const workerDetector = shared
    ? createWorkerAbuseDetector({ send: (message: AbuseMessage) => shared.send(message), onThrottled: (event) => announce(event, generations.current.config), ...(options.now ? { now: options.now } : {}) })
    : undefined;
  const stopListening = workerDetector && shared ? shared.onMessage((message) => workerDetector.receive(message)) : undefined;
  const detector: AbuseDetector = workerDetector ?? createAbuseDetector(options.now ? { now: options.now } : {});
  const verifiers = new WeakMap<GatewayConfig, JwtVerifier | undefined>();
  const verifierOf = (config: GatewayConfig) => {
    if (!verifiers.has(config)) {
      const jwt = config.auth.jwt;
      verifiers.set(config, jwt && createJwtVerifier(jwt, { onKeysUnavailable: (err) => logger.warn({ err, jwks: jwt.jwks }, 'the JWKS could not be loaded; tokens are refused') }));
    }
    return verifiers.get(config);
  };

  const plugins: Plugin[] = [
    useCaller({ trustProxy: (request) => configOf(request).server.trustProxy }), // client IP, request id, operation name
    useAuth({
      settings: (request) => {
        const config = configOf(request);
        return { verifier: verifierOf(config), defaultRule: config.auth.default, realm: config.auth.realm };
      },
      needsToken: (request, document) => {
        const generation = generations.pin(request);
        return ownersSelectedBy(generation, document).some((owner) => needsIdentity(accessRuleOf(generation.config, owner.source, owner.field)));
      },
    }), // 401 + WWW-Authenticate; the identity for the pipeline's auth stage
    useAbuseDetection({
      detector,
      // Read after the response too, when the request may already have released its generation: never pin here.
      settings: (request) => (generations.pinned(request) ?? generations.current).config.abuse,
      onThrottled: (event, request) => announce(event, (generations.pinned(request) ?? generations.current).config),
      onLimited: () => rateLimited.inc({ rule: 'abuse' }),
      throttleLimiter: (points, windowSeconds) => limiters.throttleLimiterFor(points, windowSeconds),
    }), // throttles bursting and probing clients (429)
    useQueryCost({ settings: (request) => configOf(request).limits.queryCost }), // list-aware cost: QUERY_TOO_COMPLEX
    useRateLimit({
      rules: (request) => configOf(request).rateLimits,
      limiters,
      reached: (request, document) => ownersSelectedBy(generations.pin(request), document),
      onLimited: (_request, rule) => {
        rateLimited.inc({ rule: rule.by });
        options.events?.report({ type: 'rate_limited', detail: `by ${rule.by}: ${rule.points} per ${rule.windowSeconds} s` });
      },
    }), // rateLimits: 429 + Retry-After + RateLimit-*
  ];
  return {
    plugins,
    detector,
    throttled: () => detector.active(),
    async [Symbol.asyncDispose]() {
      stopListening?.();
      workerDetector?.[Symbol.dispose]();
      await limiters[Symbol.asyncDispose]();
    },
  };
}

/** Fire and forget: a slow or failing webhook never holds a request. */
function postEvent(url: string, event: AbuseEvent, logger: Logger): void {
  const body = JSON.stringify({ type: 'interchange.client_throttled', ...event, at: new Date(event.at).toISOString(), until: new Date(event.until).toISOString() });
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(5_000) }).then(
    (response) => {
      if (!response.ok) logger.warn({ status: response.status, webhook: url }, 'abuse webhook answered with an error');
      return response.body?.cancel();
    },
    (err: unknown) => logger.warn({ err, webhook: url }, 'abuse webhook failed'),
  );
}
