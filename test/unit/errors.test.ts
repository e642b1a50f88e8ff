import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, RESERVED_CODES, createGatewayError } from '../../src/errors.js';

const root = join(import.meta.dirname, '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const BOOT_ERROR_CLASSES = { ConfigInvalidError: 'CONFIG_INVALID', SpecInvalidError: 'SPEC_INVALID', StitchFailedError: 'STITCH_FAILED' } as const;

/** Every `'CODE'` literal in src/ outside the registry itself and outside comments: the codes something raises. */
function codesNamedInSource(): Set<string> {
  const named = new Set<string>();
  for (const file of sourceFiles(join(root, 'src'))) {
    if (file.endsWith(join('src', 'errors.ts'))) continue;
    const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    for (const m of code.matchAll(/'([A-Z][A-Z_]+)'/g)) if (m[1]! in ERROR_CODES) named.add(m[1]!);
    // Boot errors are raised as classes that carry their code.
    for (const [cls, bootCode] of Object.entries(BOOT_ERROR_CLASSES)) if (code.includes(`new ${cls}(`)) named.add(bootCode);
  }
  return named;
}

describe('the error registry', () => {
  it('is documented: every code has a row in the README error table, and the table lists no other code', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const documented = [...readme.matchAll(/^\| (`[A-Z_]+`(?:, `[A-Z_]+`)*) \|/gm)].flatMap((m) => [...m[1]!.matchAll(/`([A-Z_]+)`/g)].map((c) => c[1]));
    expect(new Set(documented)).toEqual(new Set(Object.keys(ERROR_CODES)));
  });

  it('is the only source of codes: every extensions code written in src/ is registered', () => {
    const used = new Set<string>();
    for (const file of sourceFiles(join(root, 'src'))) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/createGatewayError\(\s*'([A-Z_]+)'/g)) used.add(m[1]!);
      for (const m of text.matchAll(/\bcode:\s*'([A-Z][A-Z_]+)'/g)) used.add(m[1]!);
    }
    expect(used.size).toBeGreaterThan(0);
    for (const code of used) expect(Object.keys(ERROR_CODES)).toContain(code);
  });

  it('promises nothing it does not keep: every registered code is raised somewhere in src/, unless it is reserved', () => {
    const raised = codesNamedInSource();
    const neverRaised = Object.keys(ERROR_CODES).filter((code) => !raised.has(code) && !RESERVED_CODES.has(code as never));
    expect(neverRaised).toEqual([]);
    // A reserved code that is raised now is a feature that landed: it must leave the reserved set.
    expect([...RESERVED_CODES].filter((code) => raised.has(code))).toEqual([]);
  });

  it('tells README readers which codes are reserved', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    for (const code of RESERVED_CODES) expect(readme).toMatch(new RegExp(`^\\| \`${code}\` \\|.*reserved`, 'm'));
  });

  it('makes source-scoped errors without an HTTP status or an original error', () => {
    const error = createGatewayError('SOURCE_UNAVAILABLE', 'down', { source: 'logistics', extensions: { status: 503 } });
    expect(error.extensions).toEqual({ code: 'SOURCE_UNAVAILABLE', source: 'logistics', status: 503 });
    expect(error.originalError).toBeUndefined();
    expect(createGatewayError('RATE_LIMITED', 'slow down', { httpStatus: 429 }).extensions).toEqual({ code: 'RATE_LIMITED', http: { status: 429 } });
  });
});

describe('source errors from the pipeline', () => {
  it('treats a call cancelled with its request as routine: SOURCE_UNAVAILABLE, logged at debug, not error', async () => {
    const { toSourceError } = await import('../../src/pipeline/error-mapping.js');
    const levels: string[] = [];
    const logger = { debug: () => levels.push('debug'), error: () => levels.push('error') } as never;
    const error = toSourceError(new DOMException('This operation was aborted', 'AbortError'), 'orders', 'GetOrder', logger);
    expect(error.extensions).toEqual({ code: 'SOURCE_UNAVAILABLE', source: 'orders' });
    expect(levels).toEqual(['debug']);
    toSourceError(new TypeError('bug'), 'orders', 'GetOrder', logger);
    expect(levels).toEqual(['debug', 'error']);
  });
});
