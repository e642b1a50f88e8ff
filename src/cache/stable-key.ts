/**
 * A deterministic JSON encoding (object keys sorted) so that `{a:1,b:2}` and `{b:2,a:1}` make the same
 * cache and de-duplication key.
 */
export function stableKey(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'undefined';
  if (Array.isArray(value)) return `[${value.map(stableKey).join(',')}]`;
  const keys = Object.keys(value).sort();
  let out = '{';
  for (const key of keys) {
    const item = (value as Record<string, unknown>)[key];
    if (item === undefined) continue;
    if (out.length > 1) out += ',';
    out += `${JSON.stringify(key)}:${stableKey(item)}`;
  }
  return `${out}}`;
}
