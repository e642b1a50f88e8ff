import { SignJWT, exportJWK, generateKeyPair, type JWK, type JWTPayload } from 'jose';

export const TEST_SECRET = 'a-test-secret-of-at-least-32-characters!';
export const TEST_ISSUER = 'https://idp.test';
export const TEST_AUDIENCE = 'interchange';

export interface TokenOptions {
  /** Seconds from now; negative for an expired token. Default 300. */
  expiresIn?: number;
  /** Seconds from now before which the token is not valid. Default none. */
  notBefore?: number;
  issuer?: string;
  audience?: string;
  secret?: string;
  alg?: string;
  /** Sign with this key (asymmetric) instead of the secret. */
  key?: CryptoKey | Uint8Array;
  kid?: string;
}

/** A signed JWT for tests: HS256 with the test secret, issuer and audience unless told otherwise. */
export async function makeToken(claims: JWTPayload, options: TokenOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  let jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: options.alg ?? 'HS256', ...(options.kid ? { kid: options.kid } : {}) })
    .setIssuedAt(now)
    .setIssuer(options.issuer ?? TEST_ISSUER)
    .setAudience(options.audience ?? TEST_AUDIENCE)
    .setExpirationTime(now + (options.expiresIn ?? 300));
  if (options.notBefore !== undefined) jwt = jwt.setNotBefore(now + options.notBefore);
  return jwt.sign(options.key ?? new TextEncoder().encode(options.secret ?? TEST_SECRET));
}

/** An RS256 key pair and its public JWK with `kid`. */
export async function makeRsaKey(kid: string): Promise<{ privateKey: CryptoKey; jwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

/** The `auth:` section of a config verifying tokens made by `makeToken`. */
export function hs256Auth(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { jwt: { secret: TEST_SECRET, issuer: TEST_ISSUER, audience: TEST_AUDIENCE }, ...extra };
}
