import { parse as parseYaml } from 'yaml';
import { validateConfig, type GatewayConfig } from '../../src/config/load.js';

/**
 * Validates config text as if it were the file `file`, with `env` for `${VAR}`; `mapPath` rewrites every string
 * of the document first (a path inside a container image → the same file in the checkout).
 */
export function parseConfigText(text: string, file: string, env: Readonly<Record<string, string | undefined>>, mapPath: (value: string) => string = (v) => v): GatewayConfig {
  const map = (value: unknown): unknown =>
    typeof value === 'string' ? mapPath(value) : Array.isArray(value) ? value.map(map) : value !== null && typeof value === 'object' ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, map(v)])) : value;
  return validateConfig(map(parseYaml(text)), file, { env });
}
