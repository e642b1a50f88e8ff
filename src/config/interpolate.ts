/**
 * `${VAR}` and `${VAR:-fallback}` in any string of the config are replaced from the environment.
 * `$${` escapes a literal `${`. A variable that is unset and has no fallback is a problem, not an empty string:
 * an endpoint of `http://:/` would fail much later and much less clearly.
 */
const PLACEHOLDER = /\$?\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export interface InterpolationProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

export function interpolateEnv(
  value: unknown,
  env: Readonly<Record<string, string | undefined>>,
  problems: InterpolationProblem[],
  path: readonly (string | number)[] = [],
): unknown {
  if (typeof value === 'string') {
    return value.replace(PLACEHOLDER, function substitute(match, name: string, fallback: string | undefined) {
      if (match.startsWith('$$')) return match.slice(1);
      const found = env[name];
      if (found !== undefined && found !== '') return found;
      if (fallback !== undefined) return fallback;
      problems.push({ path, message: `environment variable ${name} is not set (use \${${name}:-default} for a fallback)` });
      return match;
    });
  }
  if (Array.isArray(value)) return value.map((item, index) => interpolateEnv(item, env, problems, [...path, index]));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = interpolateEnv(item, env, problems, [...path, key]);
    return out;
  }
  return value;
}
