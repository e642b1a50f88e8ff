import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The layers of `src/`, lowest first (ARCHITECTURE.md explains each). A module may import from its own folder
 * and from lower layers, never from a higher one or from another folder of its own layer: the dependency
 * graph between folders has no cycles, and every folder can be read and tested with only what is below it.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['errors', 'demo'],
  ['sources'],
  ['config'],
  ['request', 'observability'],
  ['cache'],
  ['security'],
  ['pipeline'],
  ['gateway'],
  ['admin'],
  ['server'],
  ['cli'],
  ['index'],
];

const src = resolve(import.meta.dirname, '../../src');
const rank = new Map(LAYERS.flatMap((names, i) => names.map((name) => [name, i] as const)));

/** `sources/openapi/convert.ts` → `sources`; `errors.ts` → `errors`. */
function folderOf(file: string): string {
  const [first] = relative(src, file).split(sep);
  return first!.replace(/\.ts$/, '');
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Relative imports (static, `export ... from`, dynamic), resolved to .ts files. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]!);
  return specifiers.map((s) => resolve(dirname(file), s).replace(/\.js$/, '.ts'));
}

describe('the layers of src/', () => {
  const files = sourceFiles(src);

  it('knows every folder', () => {
    const unknown = [...new Set(files.map(folderOf))].filter((folder) => !rank.has(folder));
    expect(unknown).toEqual([]);
  });

  it('has no import that runs up a layer or sideways into another folder of the same layer', () => {
    const violations: string[] = [];
    for (const file of files) {
      const from = folderOf(file);
      for (const target of importsOf(file)) {
        const to = folderOf(target);
        if (to === from) continue;
        if (rank.get(to)! >= rank.get(from)!) violations.push(`${relative(src, file)} → ${relative(src, target)} (${from} may not import ${to})`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('keeps each kind of source to itself: only the registry sees them all', () => {
    const violations: string[] = [];
    for (const file of files.filter((f) => folderOf(f) === 'sources')) {
      const kind = relative(join(src, 'sources'), file).split(sep);
      for (const target of importsOf(file)) {
        if (folderOf(target) !== 'sources') continue;
        const targetKind = relative(join(src, 'sources'), target).split(sep);
        const crossesKinds = kind.length > 1 && targetKind.length > 1 && kind[0] !== targetKind[0];
        if (crossesKinds) violations.push(`${relative(src, file)} → ${relative(src, target)}`);
      }
    }
    expect(violations).toEqual([]);
  });
});
