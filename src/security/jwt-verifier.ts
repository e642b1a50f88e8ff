import { readFileSync } from 'node:fs';
import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, type JSONWebKeySet, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { LRUCache } from 'lru-cache';
import type { Identity } from '../request/state.js';

/** `auth.jwt` as the verifier reads it (see `config/access-schema.ts` for every field's default). */
export interface JwtSettings {
  readonly secret?: string | undefined;
  /** An absolute file path or an http(s) URL. */
  readonly jwks?: string | undefined;
  readonly issuer?: string | undefined;
  readonly audience?: string | readonly string[] | undefined;
  readonly algorithms?: readonly string[] | undefined;
  readonly clockSkewSeconds: number;
  readonly scopesClaim: string;
  readonly jwksCacheSeconds: number;
  readonly jwksRefetchSeconds: number;
  readonly jwksTimeoutMs: number;
}

/** Why a token was refused, as `extensions.reason` and the challenge's `error_description` say it. */
export type TokenFailure =
  | 'malformed'
  | 'expired'
  | 'not_yet_valid'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'bad_signature'
  | 'algorithm_not_allowed'
  | 'unknown_key'
  | 'claim_invalid'
  | 'keys_unavailable';

export class TokenRejectedError extends Error {
  override readonly name = 'TokenRejectedError';
  constructor(
    readonly reason: TokenFailure,
    message: string,
  ) {
    super(message);
  }
}

export interface JwtVerifier {
  /** The identity of a valid token; rejects with `TokenRejectedError` saying why not. */
  verify(token: string): Promise<Identity>;
  /** The identity of a token verified recently (see below), without waiting; undefined when it must be verified. */
  known(token: string): Identity | undefined;
}

export interface JwtVerifierOptions {
  /** Injected for the JWKS file's refetch rate limit. Default Date.now. */
  now?: () => number;
  /** Told when the key set could not be fetched or read (an operator problem, not the client's). */
  onKeysUnavailable?: (error: unknown) => void;
}

const ASYMMETRIC_DEFAULT = ['RS256', 'PS256', 'ES256', 'EdDSA'];
/** Longest a verified token is trusted without checking its signature again. */
const VERIFIED_TOKEN_MS = 60_000;

/**
 * Verifies bearer tokens with jose: signature against the shared secret or the JWKS, then `exp`/`nbf` with the
 * allowed clock skew, the issuer, the audience and the algorithm allowlist. A JWKS URL is jose's remote key set:
 * cached for `jwksCacheSeconds`, fetched again when a token names an unknown `kid`, at most once per
 * `jwksRefetchSeconds`. jose has no file-backed set, so a JWKS file gets the same behaviour here: it is read
 * again on an unknown `kid`, at most once per `jwksRefetchSeconds`.
 */
export function createJwtVerifier(settings: JwtSettings, options: JwtVerifierOptions = {}): JwtVerifier {
  const algorithms = [...(settings.algorithms ?? (settings.secret !== undefined ? ['HS256'] : ASYMMETRIC_DEFAULT))];
  const key = keyOf(settings, options);
  const verifyOptions = {
    algorithms,
    clockTolerance: settings.clockSkewSeconds,
    ...(settings.issuer !== undefined ? { issuer: settings.issuer } : {}),
    ...(settings.audience !== undefined ? { audience: typeof settings.audience === 'string' ? settings.audience : [...settings.audience] } : {}),
  };
  const now = options.now ?? Date.now;
  // A client sends the same token with every request: verifying its signature each time (WebCrypto, a key
  // import and two promise hops in jose) was most of what auth cost per request. A verified token is kept for at
  // most a minute, never past its `exp`, so a key withdrawn from the JWKS stops working within that minute.
  const verified = new LRUCache<string, { identity: Identity; until: number }>({ max: 10_000 });
  const known = (token: string) => {
    const entry = verified.get(token);
    return entry && entry.until > now() ? entry.identity : undefined;
  };
  return {
    known,
    async verify(token) {
      const remembered = known(token);
      if (remembered) return remembered;
      let payload: JWTPayload;
      try {
        // jwtVerify's overloads split key and key-getter; both verify the same way.
        payload = (await jwtVerify(token, key as Uint8Array, verifyOptions)).payload;
      } catch (error) {
        const rejection = describeFailure(error);
        if (rejection.reason === 'keys_unavailable') options.onKeysUnavailable?.(error);
        throw rejection;
      }
      const identity = identityOf(payload, settings.scopesClaim);
      const expiresAt = typeof payload.exp === 'number' ? payload.exp * 1000 + settings.clockSkewSeconds * 1000 : Number.POSITIVE_INFINITY;
      verified.set(token, { identity, until: Math.min(expiresAt, now() + VERIFIED_TOKEN_MS) });
      return identity;
    },
  };
}

function keyOf(settings: JwtSettings, options: JwtVerifierOptions): Uint8Array | JWTVerifyGetKey {
  if (settings.secret !== undefined) return new TextEncoder().encode(settings.secret);
  const jwks = settings.jwks!;
  if (/^https?:\/\//i.test(jwks)) {
    return createRemoteJWKSet(new URL(jwks), {
      cacheMaxAge: settings.jwksCacheSeconds * 1000,
      cooldownDuration: settings.jwksRefetchSeconds * 1000,
      timeoutDuration: settings.jwksTimeoutMs,
    });
  }
  return fileKeySet(jwks, settings.jwksRefetchSeconds * 1000, options);
}

function fileKeySet(file: string, refetchMs: number, options: JwtVerifierOptions): JWTVerifyGetKey {
  const now = options.now ?? Date.now;
  const read = () => createLocalJWKSet(JSON.parse(readFileSync(file, 'utf8')) as JSONWebKeySet);
  let keys = read();
  let readAt = now();
  return async function keyFromFile(header, token) {
    try {
      return await keys(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey) || now() - readAt < refetchMs) throw error;
      readAt = now();
      try {
        keys = read();
      } catch (readError) {
        // Keep the keys we had: a half-written file must not lock every caller out.
        options.onKeysUnavailable?.(readError);
        throw error;
      }
      return keys(header, token);
    }
  };
}

function describeFailure(error: unknown): TokenRejectedError {
  if (error instanceof errors.JWTExpired) return new TokenRejectedError('expired', 'the token has expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return new TokenRejectedError('not_yet_valid', 'the token is not valid yet (nbf)');
    if (error.claim === 'iss') return new TokenRejectedError('wrong_issuer', 'the token was issued by another issuer (iss)');
    if (error.claim === 'aud') return new TokenRejectedError('wrong_audience', 'the token is meant for another audience (aud)');
    return new TokenRejectedError('claim_invalid', `the token's "${error.claim}" claim is invalid`);
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return new TokenRejectedError('algorithm_not_allowed', 'the token is signed with an algorithm that is not allowed');
  if (error instanceof errors.JWSSignatureVerificationFailed) return new TokenRejectedError('bad_signature', 'the token signature is invalid');
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) return new TokenRejectedError('unknown_key', 'no known key matches the token (kid)');
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || (error instanceof Error && !(error instanceof errors.JOSEError))) {
    return new TokenRejectedError('keys_unavailable', 'the keys to verify the token could not be loaded');
  }
  return new TokenRejectedError('malformed', 'the token is not a valid JWT');
}

function identityOf(payload: JWTPayload, scopesClaim: string): Identity {
  const raw = payload[scopesClaim] ?? (scopesClaim === 'scope' ? payload['scp'] : undefined);
  const scopes = new Set(typeof raw === 'string' ? raw.split(' ').filter(Boolean) : Array.isArray(raw) ? raw.map(String) : []);
  return { subject: typeof payload.sub === 'string' ? payload.sub : '', issuer: payload.iss, claims: payload as Record<string, unknown>, scopes };
}
