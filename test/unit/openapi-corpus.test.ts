import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { buildSchema } from 'graphql';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { convertOpenApi } from '../../src/sources/openapi/index.js';
import { parsePointer } from '../../src/sources/openapi/naming.js';

/**
 * Every document of `@readme/oas-examples` (real public specs, not written by us: Petstore, polymorphism,
 * discriminators, parameter styles, Swagger 2.0, ...) must convert to SDL graphql-js accepts. The package's own
 * tests mark every one of them as a valid definition, so none is expected to fail.
 */
const corpusRoot = path.dirname(createRequire(import.meta.url).resolve('@readme/oas-examples/package.json'));

function specFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'test' || entry.name === 'node_modules' ? [] : specFiles(full);
    return /\.(json|ya?ml)$/.test(entry.name) && entry.name !== 'package.json' ? [full] : [];
  });
}

const files = ['2.0', '3.0', '3.1'].flatMap((version) => specFiles(path.join(corpusRoot, version))).sort();

function parsed(file: string): unknown {
  const text = readFileSync(file, 'utf8');
  return file.endsWith('.json') ? JSON.parse(text) : parseDocument(text).toJS({ maxAliasCount: 1000 });
}

/** Whether a note's pointer names something in the document. */
function resolves(root: unknown, pointer: string): boolean {
  let value = root;
  for (const segment of parsePointer(pointer) ?? ['\u0000']) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, segment)) return false;
    value = (value as Record<string, unknown>)[segment];
  }
  return true;
}

const withoutNotes: string[] = [];

describe('the @readme/oas-examples corpus', () => {
  it('has documents of every version', () => {
    expect(files.length).toBeGreaterThan(100);
    for (const version of ['2.0', '3.0', '3.1']) expect(files.some((file) => file.includes(`${path.sep}${version}${path.sep}`))).toBe(true);
  });

  it.each(files.map((file) => [path.relative(corpusRoot, file), file]))('converts %s', async (_, file) => {
    const converted = await convertOpenApi({ name: 'corpus', specFile: file });
    expect(() => buildSchema(converted.typeDefs)).not.toThrow();
    const root = parsed(file);
    const swagger = typeof root === 'object' && root !== null && 'swagger' in root;
    for (const note of converted.notes) {
      expect(note.pointer).toMatch(/^#/);
      // int64 is a String kept exact on the wire: nothing about it is simplified any more.
      expect(note.message).not.toMatch(/int64 is mapped/);
      // A Swagger 2.0 request body (body or formData parameters) only exists in the document's OpenAPI 3 conversion.
      if (!swagger || !note.pointer.includes('/requestBody')) expect(resolves(root, note.pointer), `${note.pointer}: ${note.message}`).toBe(true);
    }
    if (converted.notes.length === 0) withoutNotes.push(path.relative(corpusRoot, file));
  });

  afterAll(() => {
    console.log(`oas-examples: ${withoutNotes.length} of ${files.length} documents convert with no simplification at all`);
  });
});
