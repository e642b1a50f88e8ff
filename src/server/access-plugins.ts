import type { Plugin } from 'graphql-yoga';
import type { GatewayConfig } from '../config/load.js';
import { ownersSelectedBy } from '../gateway/field-owners.js';
import type { Generation } from '../gateway/generation.js';
import type { Logger } from '../observability/logger.js';
import { accessRuleOf, needsIdentity } from '../security/access-rules.js';
import { createJwtVerifier, type JwtVerifier } from '../security/jwt-verifier.js';
import { useAuth } from '../security/use-auth.js';
import { useCaller } from '../security/use-caller.js';
import type { GenerationSwap } from './generation-swap.js';

export interface AccessPluginsOptions {
  generations: GenerationSwap<Generation>;
  logger: Logger;
}

/**
 * The access layer's yoga plugins, in the order they run: who is calling (IP, request id), authentication.
 * Each reads the settings of the generation the request is pinned to, so a reload changes them live; what must
 * outlive a generation (rate-limit counters, abuse baselines) is kept here, outside the generations.
 */
export function accessPlugins(options: AccessPluginsOptions): Plugin[] {
  const { generations, logger } = options;
  const configOf = (request: Request) => generations.pin(request).config;
  const verifiers = new WeakMap<GatewayConfig, JwtVerifier | undefined>();
  const verifierOf = (config: GatewayConfig) => {
    if (!verifiers.has(config)) {
      const jwt = config.auth.jwt;
      verifiers.set(config, jwt && createJwtVerifier(jwt, { onKeysUnavailable: (err) => logger.warn({ err, jwks: jwt.jwks }, 'the JWKS could not be loaded; tokens are refused') }));
    }
    return verifiers.get(config);
  };

  return [
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
  ];
}
