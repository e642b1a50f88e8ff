import type { GatewayConfig } from '../config/load.js';
import type { SourceConfig } from '../config/schema.js';
import type { CachePolicy } from '../cache/entry.js';
import { scopeKeyOf } from '../cache/keys.js';
import { resolveCachePolicy } from '../cache/policy.js';
import type { CacheStore } from '../cache/store.js';
import type { Logger } from '../observability/logger.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import { createCacheStage } from '../pipeline/cache.js';
import type { Stage } from '../pipeline/types.js';
import type { RequestState } from './request-state.js';

/** The cache stage of one source, with its policies resolved once per operation rather than per call. */
export function createSourceCacheStage(config: GatewayConfig, source: SourceConfig, store: CacheStore, deps: { logger: Logger; metrics: GatewayMetrics }): Stage {
  const policies = new Map<string, CachePolicy>();
  const global = { ...config.cache };
  return createCacheStage({
    store,
    dedupe: source.dedupe ?? true,
    invalidateOnMutation: config.cache.invalidateOnMutation,
    httpCaching: config.cache.httpCaching,
    logger: deps.logger.child({ source: source.name }),
    onEvent: (name, event) => deps.metrics.cacheEvents.inc({ source: name, event }),
    policyFor(call) {
      let policy = policies.get(call.operation.fieldName);
      if (!policy) {
        policy = resolveCachePolicy(global, source.cache, source.operations?.[call.operation.fieldName]?.cache);
        policies.set(call.operation.fieldName, policy);
      }
      return policy;
    },
  });
}

/** Who the caller is, for private entries: their credentials (Authorization, Cookie), hashed. */
export function requestScopeKey(state: RequestState): string {
  if (state.scopeKey === undefined) {
    const identity = [state.headers.get('authorization') ?? '', state.headers.get('cookie') ?? ''].join('\n');
    state.scopeKey = scopeKeyOf(identity === '\n' ? '' : identity);
  }
  return state.scopeKey;
}

export function clientAskedNoCache(config: GatewayConfig) {
  return function bypassCacheOf(state: RequestState): boolean {
    if (!config.cache.honorClientNoCache) return false;
    const header = state.headers.get('cache-control');
    return header !== null && /\bno-cache\b|\bno-store\b/i.test(header);
  };
}
