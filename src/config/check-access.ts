import { statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Problem } from '../errors.js';
import type { ParsedConfig } from './schema.js';

/** `jwks` is a URL (fetched) rather than a file. */
export function isJwksUrl(jwks: string): boolean {
  return /^https?:\/\//i.test(jwks);
}

/** The access layer's file paths made absolute against the config file's directory. */
export function resolveAccessPaths(config: ParsedConfig, baseDir: string): ParsedConfig {
  const path = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const jwt = config.auth.jwt;
  return {
    ...config,
    ...(jwt?.jwks !== undefined && !isJwksUrl(jwt.jwks) ? { auth: { ...config.auth, jwt: { ...jwt, jwks: path(jwt.jwks) } } } : {}),
    ...(config.server.trustedDocuments !== undefined ? { server: { ...config.server, trustedDocuments: path(config.server.trustedDocuments) } } : {}),
    ...(config.audit.destination !== 'stdout' ? { audit: { ...config.audit, destination: path(config.audit.destination) } } : {}),
  };
}

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/i;

/**
 * What the schema cannot say about the access layer: files that exist, rules that need token verification, and
 * cache entries that would be shared although caller-specific headers reach the backend.
 */
export function checkAccess(config: ParsedConfig, file: string): Problem[] {
  const problems: Problem[] = [];
  const problem = (at: string, message: string) => problems.push({ file, at, message });
  const jwt = config.auth.jwt;
  if (jwt?.jwks !== undefined) {
    if (isJwksUrl(jwt.jwks)) {
      let url: URL | undefined;
      try {
        url = new URL(jwt.jwks);
      } catch {
        problem('auth.jwt.jwks', `"${jwt.jwks}" is not a valid URL`);
      }
      // A key set fetched in the clear could be swapped by anyone on the path; loopback is for tests and sidecars.
      if (url && url.protocol === 'http:' && !LOOPBACK.test(url.hostname)) problem('auth.jwt.jwks', 'must be an https:// URL (http:// only for localhost)');
    } else if (!isFile(jwt.jwks)) problem('auth.jwt.jwks', `file not found: ${jwt.jwks}`);
  }
  if (jwt?.secret !== undefined && jwt.algorithms?.some((a) => !a.startsWith('HS'))) problem('auth.jwt.algorithms', 'a secret verifies only HS256, HS384 or HS512 tokens');
  if (jwt?.jwks !== undefined && jwt.algorithms?.some((a) => a.startsWith('HS'))) problem('auth.jwt.algorithms', 'a JWKS verifies only asymmetric algorithms (RS*, PS*, ES*, EdDSA)');
  if (!jwt && config.auth.default === 'authenticated') problem('auth.default', '"authenticated" needs auth.jwt to verify tokens');

  const names = new Set(config.sources.map((s) => s.name));
  config.sources.forEach((source, index) => {
    const at = `sources[${index}]`;
    if (!jwt) {
      if (source.auth !== undefined && source.auth !== 'public') problem(`${at}.auth`, 'needs auth.jwt to verify tokens');
      if (source.claimsToHeaders && Object.keys(source.claimsToHeaders).length > 0) problem(`${at}.claimsToHeaders`, 'needs auth.jwt to verify tokens');
      for (const [operation, settings] of Object.entries(source.operations ?? {})) {
        if (settings.auth !== undefined && settings.auth !== 'public') problem(`${at}.operations.${operation}.auth`, 'needs auth.jwt to verify tokens');
      }
      source.route?.forEach((rule, i) => {
        if (rule.claim !== undefined) problem(`${at}.route[${i}].claim`, 'needs auth.jwt to verify tokens');
      });
    }
    // A public entry is shared by every caller: only safe when nothing caller-specific reaches the backend.
    const callerSpecific = [...(source.forwardHeaders ?? []).map((h) => `forwardHeaders ${h}`), ...Object.keys(source.claimsToHeaders ?? {}).map((c) => `claimsToHeaders ${c}`)];
    if (callerSpecific.length === 0) return;
    const why = `public cache entries are shared by every caller, but this source sends caller-specific values (${callerSpecific.join(', ')}): use scope: private`;
    if (source.cache?.scope === 'public') problem(`${at}.cache.scope`, why);
    else if (source.cache?.scope === undefined && config.cache.scope === 'public') problem(`${at}`, `cache.scope is public: ${why} (set cache.scope: private on this source)`);
    for (const [operation, settings] of Object.entries(source.operations ?? {})) {
      if (settings.cache?.scope === 'public') problem(`${at}.operations.${operation}.cache.scope`, why);
    }
  });

  config.rateLimits.forEach((rule, index) => {
    if ((rule.by === 'source' || rule.by === 'operation') && rule.source !== undefined && !names.has(rule.source)) problem(`rateLimits[${index}].source`, `unknown source "${rule.source}"`);
    if (rule.by === 'user' && !jwt) problem(`rateLimits[${index}]`, 'by: user needs auth.jwt (the user is a claim of the verified token)');
  });
  if (config.server.trustedDocuments !== undefined && !isFile(config.server.trustedDocuments)) problem('server.trustedDocuments', `file not found: ${config.server.trustedDocuments}`);
  if (config.server.cors.credentials && config.server.cors.origins.includes('*')) problem('server.cors.credentials', 'credentials are never sent to any origin (*): list the origins instead');
  return problems;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
