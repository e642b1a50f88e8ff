import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { SpecInvalidError, type Problem } from '../../errors.js';
import { childPointer, parsePointer } from './naming.js';

/** One parsed file: the main spec or a file it refers to. */
export interface SpecDocument {
  /** Absolute path. */
  readonly file: string;
  /** Prefix of pointers into this document in notes: `''` for the main spec, its path relative to the main spec otherwise. */
  readonly label: string;
  readonly root: unknown;
}

/** A value in a document and where it is. */
export interface SpecNode {
  readonly doc: SpecDocument;
  /** URI-fragment JSON pointer, `#/components/schemas/Pet`. */
  readonly pointer: string;
  readonly value: unknown;
}

/** The main document with everything its `$ref`s reach, every reference checked. */
export interface LoadedSpec {
  readonly main: SpecDocument;
  readonly version: '3.0' | '3.1';
  /** Follows a `$ref` chain; a node without `$ref` is returned as is. */
  deref(node: SpecNode): SpecNode;
}

/** `#/components/...` in the main spec, `common.yaml#/components/...` in another file. */
export function nodeLabel(node: SpecNode): string {
  return `${node.doc.label}${node.pointer}`;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The node at `segments` below `node` (its value is undefined when there is nothing there). */
export function childNode(node: SpecNode, ...segments: readonly (string | number)[]): SpecNode {
  let value: unknown = node.value;
  for (const segment of segments) value = isRecord(value) ? value[segment] : Array.isArray(value) ? value[Number(segment)] : undefined;
  return { doc: node.doc, pointer: childPointer(node.pointer, ...segments), value };
}

function refOf(value: unknown): string | undefined {
  return isRecord(value) && typeof value['$ref'] === 'string' ? value['$ref'] : undefined;
}

type ParseResult = { readonly root: unknown } | { readonly problems: Problem[] };

function parseText(file: string, text: string): ParseResult {
  if (file.endsWith('.json')) {
    try {
      return { root: JSON.parse(text) as unknown };
    } catch (error) {
      return { problems: [{ file, at: '#', message: `invalid JSON: ${(error as Error).message}` }] };
    }
  }
  const document = parseDocument(text, { uniqueKeys: true });
  const [first, ...rest] = document.errors;
  if (first) {
    // After the first syntax error the parser reports every following token as unexpected: keep the cause.
    const more = rest.length > 0 ? ` (and ${rest.length} errors after it)` : '';
    return { problems: [{ file, at: '#', message: `invalid YAML: ${(first.message.split('\n')[0] ?? '').replace(/:$/, '')}${more}` }] };
  }
  return { root: document.toJS({ maxAliasCount: 1000 }) as unknown };
}

async function readDocument(file: string, label: string, problems: Problem[]): Promise<SpecDocument | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    problems.push({ file, at: '#', message: `cannot read the file (${reason})` });
    return undefined;
  }
  const parsed = parseText(file, text);
  if ('problems' in parsed) {
    problems.push(...parsed.problems);
    return undefined;
  }
  return { file, label, root: parsed.root };
}

function checkVersion(doc: SpecDocument, problems: Problem[]): '3.0' | '3.1' | undefined {
  const notOpenApi = (message: string): undefined => {
    problems.push({ file: doc.file, at: '#', message });
    return undefined;
  };
  if (!isRecord(doc.root)) return notOpenApi('not an OpenAPI 3 document: the top level is not a mapping');
  const version = doc.root['openapi'];
  if (version === undefined) {
    return doc.root['swagger'] !== undefined
      ? notOpenApi('Swagger 2.0 documents are not supported: convert it to OpenAPI 3 first')
      : notOpenApi('not an OpenAPI 3 document: there is no `openapi` field');
  }
  const match = typeof version === 'string' ? /^3\.(\d+)\./.exec(`${version}.`) : null;
  if (!match) {
    problems.push({ file: doc.file, at: '#/openapi', message: `unsupported OpenAPI version ${JSON.stringify(version)}: expected 3.0.x or 3.1.x` });
    return undefined;
  }
  if (doc.root['paths'] !== undefined && !isRecord(doc.root['paths'])) {
    problems.push({ file: doc.file, at: '#/paths', message: '`paths` is not a mapping' });
  }
  return match[1] === '0' ? '3.0' : '3.1';
}

/** Keys whose values are literal data, not spec objects: a `$ref` inside them is just text. */
const LITERAL_KEYS = new Set(['example', 'examples', 'default', 'enum', 'const']);

interface RefSite {
  readonly doc: SpecDocument;
  /** Pointer of the `$ref` key itself. */
  readonly at: string;
  readonly ref: string;
}

function collectRefs(doc: SpecDocument): RefSite[] {
  const sites: RefSite[] = [];
  // YAML aliases can make the parsed tree share (or even cycle through) objects.
  const seen = new Set<object>();
  const visit = (value: unknown, pointer: string, parentKey: string): void => {
    if (typeof value !== 'object' || value === null || seen.has(value)) return;
    seen.add(value);
    if (Array.isArray(value)) {
      value.forEach((item, index) => visit(item, childPointer(pointer, index), ''));
      return;
    }
    const ref = refOf(value);
    if (ref !== undefined) sites.push({ doc, at: childPointer(pointer, '$ref'), ref });
    for (const [key, child] of Object.entries(value)) {
      const isLiteral = parentKey !== 'properties' && (LITERAL_KEYS.has(key) || key.startsWith('x-'));
      if (!isLiteral) visit(child, childPointer(pointer, key), key);
    }
  };
  visit(doc.root, '#', '');
  return sites;
}

function splitRef(ref: string): { readonly file: string; readonly pointer: string } {
  const hash = ref.indexOf('#');
  return hash === -1 ? { file: ref, pointer: '#' } : { file: ref.slice(0, hash), pointer: ref.slice(hash) };
}

function valueAt(root: unknown, pointer: string): { readonly found: boolean; readonly value?: unknown } {
  const segments = parsePointer(pointer);
  if (segments === undefined) return { found: false };
  let value = root;
  for (const segment of segments) {
    if (Array.isArray(value) && /^\d+$/.test(segment) && Number(segment) < value.length) value = value[Number(segment)];
    else if (isRecord(value) && Object.hasOwn(value, segment)) value = value[segment];
    else return { found: false };
  }
  return { found: true, value };
}

/**
 * Reads the spec and every file its `$ref`s reach, and checks that each reference points at something and
 * that no chain of references loops. Throws `SpecInvalidError` listing every problem found.
 */
export async function loadSpec(specFile: string): Promise<LoadedSpec> {
  const problems: Problem[] = [];
  const main = await readDocument(specFile, '', problems);
  const version = main ? checkVersion(main, problems) : undefined;
  if (!main || !version) throw new SpecInvalidError(`OpenAPI spec ${specFile} is invalid`, problems);

  const documents = new Map<string, SpecDocument | undefined>([[specFile, main]]);
  const baseDir = path.dirname(specFile);
  const sites: RefSite[] = [];
  const pending: SpecDocument[] = [main];
  for (let doc = pending.shift(); doc; doc = pending.shift()) {
    for (const site of collectRefs(doc)) {
      sites.push(site);
      const { file } = splitRef(site.ref);
      if (file === '' || /^[a-z][a-z0-9+.-]*:/i.test(file)) continue;
      const absolute = path.resolve(path.dirname(doc.file), file);
      if (documents.has(absolute)) continue;
      const loaded = await readDocument(absolute, path.relative(baseDir, absolute), problems);
      documents.set(absolute, loaded);
      if (loaded) pending.push(loaded);
    }
  }

  /** One step: the node a `$ref` names, or why there is none. */
  const follow = (doc: SpecDocument, ref: string): SpecNode | string => {
    const { file, pointer } = splitRef(ref);
    if (/^[a-z][a-z0-9+.-]*:/i.test(file)) return `$ref ${JSON.stringify(ref)}: remote references are not supported`;
    const target = file === '' ? doc : documents.get(path.resolve(path.dirname(doc.file), file));
    if (!target) return `$ref ${JSON.stringify(ref)}: the file cannot be read`;
    const { found, value } = valueAt(target.root, pointer);
    return found ? { doc: target, pointer, value } : `$ref ${JSON.stringify(ref)} points to nothing`;
  };

  /** Follows a whole chain; a string when it breaks or loops. */
  const resolveChain = (node: SpecNode): SpecNode | string => {
    const visited = new Set<string>();
    let current = node;
    for (let ref = refOf(current.value); ref !== undefined; ref = refOf(current.value)) {
      const key = `${current.doc.file}${current.pointer}`;
      if (visited.has(key)) return `$ref ${JSON.stringify(ref)} is part of a reference cycle`;
      visited.add(key);
      const next = follow(current.doc, ref);
      if (typeof next === 'string') return next;
      current = next;
    }
    return current;
  };

  for (const site of sites) {
    const holder = { doc: site.doc, pointer: site.at.slice(0, -'/$ref'.length), value: { $ref: site.ref } };
    const resolved = resolveChain(holder);
    if (typeof resolved === 'string') problems.push({ file: site.doc.file, at: site.at, message: resolved });
  }
  if (problems.length > 0) throw new SpecInvalidError(`OpenAPI spec ${specFile} is invalid`, problems);

  return {
    main,
    version,
    deref(node) {
      const resolved = resolveChain(node);
      // Every reference was checked above, so a string here cannot happen; keep the node rather than throw.
      return typeof resolved === 'string' ? node : resolved;
    },
  };
}
