import type { GatewayConfig } from '../config/load.js';

/**
 * Config keys whose new values a reload cannot apply (they shaped the listener, the store, the yoga instance or
 * plugins built once), named in the reload outcome. Everything else (sources, links, query limits, cache
 * policies, timeouts, retries, breakers, auth and rate-limit rules, CORS, ...) is read per generation or request.
 */
export function settingsReadAtStart(started: GatewayConfig, next: GatewayConfig): string[] {
  const changed: string[] = [];
  if (started.server.port !== next.server.port || started.server.host !== next.server.host) changed.push('server.port/host');
  if (started.cache.store !== next.cache.store || started.cache.maxEntries !== next.cache.maxEntries) changed.push('cache.store/maxEntries');
  // yoga takes batching when it is created.
  if (started.limits.maxBatch !== next.limits.maxBatch) changed.push('limits.maxBatch');
  if (started.rateLimitStore !== next.rateLimitStore) changed.push('rateLimitStore');
  if (started.server.trustedDocuments !== next.server.trustedDocuments || started.server.persistedQueries !== next.server.persistedQueries) changed.push('server.trustedDocuments/persistedQueries');
  if (JSON.stringify(started.audit) !== JSON.stringify(next.audit)) changed.push('audit');
  if (JSON.stringify(started.telemetry) !== JSON.stringify(next.telemetry)) changed.push('telemetry');
  if (started.stateDir !== next.stateDir) changed.push('stateDir');
  if (JSON.stringify(started.cluster) !== JSON.stringify(next.cluster)) changed.push('cluster');
  return changed;
}
