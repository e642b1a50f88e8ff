import type { EndpointConfig } from './resilience-config.js';

/** One replica of a source as the gateway uses it: `endpoints` entries with their defaults applied. */
export interface Replica {
  /** The URL (HTTP kinds) or gRPC target the transport calls. */
  readonly url: string;
  /** Relative share of traffic within its group. Default 1. */
  readonly weight: number;
  /** Traffic group. Default `default`. */
  readonly group: string;
}

export const DEFAULT_GROUP = 'default';

/** The replicas of a source, in config order: an entry is a URL string or `{ url, weight, group }`. */
export function replicasOf(source: { readonly endpoints: readonly EndpointConfig[] }): Replica[] {
  return source.endpoints.map((entry) =>
    typeof entry === 'string' ? { url: entry, weight: 1, group: DEFAULT_GROUP } : { url: entry.url, weight: entry.weight ?? 1, group: entry.group ?? DEFAULT_GROUP },
  );
}

/** The endpoint URLs of a source, in config order: what reflection, introspection, checks and the admin status read. */
export function endpointUrls(source: { readonly endpoints: readonly EndpointConfig[] }): string[] {
  return source.endpoints.map((entry) => (typeof entry === 'string' ? entry : entry.url));
}
