import type { GatewayConfig } from '../config/load.js';

/** Config keys whose new values a reload cannot apply (they shaped the listener, the store or the plugins). */
export function settingsReadAtStart(started: GatewayConfig, next: GatewayConfig): string[] {
  const changed: string[] = [];
  if (started.server.port !== next.server.port || started.server.host !== next.server.host) changed.push('server.port/host');
  if (started.cache.store !== next.cache.store || started.cache.maxEntries !== next.cache.maxEntries) changed.push('cache.store/maxEntries');
  if (JSON.stringify(started.limits) !== JSON.stringify(next.limits)) changed.push('limits');
  if (started.rateLimitStore !== next.rateLimitStore) changed.push('rateLimitStore');
  if (started.server.trustedDocuments !== next.server.trustedDocuments || started.server.persistedQueries !== next.server.persistedQueries) changed.push('server.trustedDocuments/persistedQueries');
  if (JSON.stringify(started.audit) !== JSON.stringify(next.audit)) changed.push('audit');
  if (JSON.stringify(started.telemetry) !== JSON.stringify(next.telemetry)) changed.push('telemetry');
  return changed;
}
