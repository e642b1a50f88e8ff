import type { CachePolicyConfig } from '../config/schema.js';
import { DEFAULT_CACHE_POLICY, type CachePolicy } from './entry.js';

/** Layers the policies: defaults ▸ global ▸ source ▸ operation, later ones winning field by field. */
export function resolveCachePolicy(...layers: (CachePolicyConfig | undefined)[]): CachePolicy {
  let policy: CachePolicy = DEFAULT_CACHE_POLICY;
  for (const layer of layers) {
    if (!layer) continue;
    policy = {
      ttl: layer.ttl ?? policy.ttl,
      staleWhileRevalidate: layer.staleWhileRevalidate ?? policy.staleWhileRevalidate,
      staleIfError: layer.staleIfError ?? policy.staleIfError,
      scope: layer.scope ?? policy.scope,
    };
  }
  return policy;
}
