import { resolve } from 'node:path';
import type { z } from 'zod';
import { validateConfig, type GatewayConfig, type LoadConfigOptions } from './load.js';
import type { configSchema } from './schema.js';

/** A configuration as written (in YAML, or as an object in code): what `defineConfig` accepts. */
export type ConfigInput = z.input<typeof configSchema>;

export interface DefineConfigOptions extends LoadConfigOptions {
  /** Directory relative paths (specs, protos, links) resolve against. Default: the working directory. */
  baseDir?: string;
}

/**
 * A configuration written in code, validated exactly like a YAML file (defaults, every problem at once, frozen):
 * `createGateway(defineConfig({ sources: [...] }))`. Throws `ConfigInvalidError`; problems name `(defineConfig)`
 * as their file.
 */
export function defineConfig(input: ConfigInput, options: DefineConfigOptions = {}): GatewayConfig {
  return validateConfig(input, resolve(options.baseDir ?? process.cwd(), '(defineConfig)'), options);
}
