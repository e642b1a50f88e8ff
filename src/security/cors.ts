import type { CORSOptions } from 'graphql-yoga';

/** `server.cors` as the gateway reads it. */
export interface CorsSettings {
  /** Allowed origins (`https://app.example`), or `*` for any page without credentials. Default none. */
  readonly origins: readonly string[];
  /** Let listed origins send credentials. Default false. */
  readonly credentials: boolean;
  /** Seconds a preflight answer may be cached. Default 600. */
  readonly maxAgeSeconds: number;
}

/** What a browser page may read from an answer beside the body: why it was refused, and the cache marks. */
const EXPOSED_HEADERS = ['Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'WWW-Authenticate', 'Cache-Status'];

/**
 * yoga's CORS options for one request. yoga's default echoes any Origin with credentials allowed; here an origin
 * gets CORS headers only when listed (credentials only if `credentials` is on), any origin gets them without
 * credentials under `*`, and every other origin gets none, so the browser keeps the answer from the page.
 */
export function corsOptionsFor(settings: CorsSettings, request: Request): CORSOptions {
  const origin = request.headers.get('origin');
  if (origin === null || settings.origins.length === 0) return false;
  const common = { methods: ['GET', 'POST'], exposedHeaders: EXPOSED_HEADERS, maxAge: settings.maxAgeSeconds };
  // Two entries, so that yoga echoes the origin and adds `Vary: Origin` (one entry is sent as it is, without Vary).
  if (settings.origins.includes(origin)) return { ...common, origin: [origin, origin], credentials: settings.credentials };
  if (settings.origins.includes('*')) return { ...common, origin: '*', credentials: false };
  return false;
}
