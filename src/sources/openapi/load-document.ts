import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { request } from 'undici';
import { parseDocument } from 'yaml';
import { SpecInvalidError, type Problem } from '../../errors.js';
import { childPointer, parsePointer } from './naming.js';

/** One parsed file: the main spec or a file it refers to. */
export interface SpecDocument {
  /** Absolute path, or the URL it was fetched from. */
  readonly file: string;
  /** Prefix of pointers into this document in notes: `''` for the main spec, its path relative to the main spec otherwise. */
  readonly label: string;
  readonly root: unknown;
  /** Set when the document was Swagger 2.0, converted on load. */
  readonly swagger2?: boolean;
}

/** A value in a document and where it is. */
export interface SpecNode {
  readonly doc: SpecDocument;
  /** URI-fragment JSON pointer, `#/components/schemas/Pet`. */
  readonly pointer: string;
  readonly value: unknown;
}

/** A document fetched over http(s), as the loader parsed it: its text and whether it was read as JSON. */
export interface FetchedDocument {
  readonly text: string;
  readonly json: boolean;
}

/** The main document with everything its `$ref`s reach, every reference checked. */
export interface LoadedSpec {
  readonly main: SpecDocument;
  readonly version: '3.0' | '3.1';
  /**
   * Every document fetched over http(s) for this load (the spec and the documents its `$ref`s reached), keyed
   * by URL: with them as `offline`, a later load builds the same spec without the network. Empty for a file spec.
   */
  readonly fetched: ReadonlyMap<string, FetchedDocument>;
  /** Follows a `$ref` chain; a node without `$ref` is returned as is. */
  deref(node: SpecNode): SpecNode;
}

/** `#/components/...` in the main spec, `common.yaml#/components/...` in another file. */
export function nodeLabel(node: SpecNode): string {
  return `${node.doc.label}${node.doc.swagger2 ? swaggerPointer(node.pointer) : node.pointer}`;
}

/** The node's pointer within its own document (Swagger 2.0 pointers for a converted Swagger document). */
export function docPointer(node: SpecNode): string {
  return node.doc.swagger2 ? swaggerPointer(node.pointer) : node.pointer;
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

/** An http(s) URL rather than a file path. */
export function isUrl(location: string): boolean {
  return /^https?:\/\//i.test(location);
}

function parseText(file: string, text: string, json: boolean): ParseResult {
  if (json) {
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

/** How every problem of a spec URL that could not be fetched begins (see `isUnreachableSpec`). */
const CANNOT_FETCH = 'cannot fetch the spec';

/**
 * Whether loading a spec failed only because its URL (or a document it names) could not be fetched: the server
 * is down, not the spec wrong. Only then may a snapshot stand in for it; a spec that was fetched and is invalid is
 * reported as such (exit 1 at start, a refused reload), never hidden behind yesterday's copy.
 */
export function isUnreachableSpec(error: unknown): boolean {
  return error instanceof SpecInvalidError && error.problems.length > 0 && error.problems.every((p) => p.message.startsWith(CANNOT_FETCH));
}

/** Fetches a spec URL; a string says why it could not be. */
async function fetchText(url: string, timeoutMs: number): Promise<FetchedDocument | string> {
  try {
    const response = await request(url, { method: 'GET', headers: { accept: 'application/json, application/yaml;q=0.9, */*;q=0.5' }, signal: AbortSignal.timeout(timeoutMs) });
    const text = await response.body.text();
    if (response.statusCode < 200 || response.statusCode >= 300) return `${CANNOT_FETCH}: ${url} answered ${response.statusCode}`;
    const contentType = String(response.headers['content-type'] ?? '');
    return { text, json: /json/i.test(contentType) || /\.json(?:$|[?#])/i.test(url) };
  } catch (error) {
    if (error instanceof Error && error.name === 'TimeoutError') return `${CANNOT_FETCH}: ${url} did not answer within ${timeoutMs} ms`;
    const code = (error as { code?: unknown }).code;
    return `${CANNOT_FETCH} from ${url} (${typeof code === 'string' ? code : error instanceof Error ? error.message : String(error)})`;
  }
}

/** How a URL document is got: fetched, or taken from the documents of an earlier load. A string says why it could not be. */
type FetchDocument = (url: string) => Promise<FetchedDocument | string>;

async function readDocument(location: string, label: string, problems: Problem[], fetchDocument: FetchDocument): Promise<SpecDocument | undefined> {
  let text: string;
  let json = location.endsWith('.json');
  if (isUrl(location)) {
    const fetched = await fetchDocument(location);
    if (typeof fetched === 'string') {
      problems.push({ file: location, at: '#', message: fetched });
      return undefined;
    }
    ({ text, json } = fetched);
  } else {
    try {
      text = await readFile(location, 'utf8');
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      problems.push({ file: location, at: '#', message: `cannot read the file (${reason})` });
      return undefined;
    }
  }
  const parsed = parseText(location, text, json);
  if ('problems' in parsed) {
    problems.push(...parsed.problems);
    return undefined;
  }
  return { file: location, label, root: parsed.root };
}

/**
 * A Swagger 2.0 document converted to OpenAPI 3.0 by swagger2openapi (patching what it safely can), so the
 * rest of the converter sees one format. Pointers in notes are then into the converted document; the common
 * ones are translated back by `swaggerPointer`.
 */
async function fromSwagger2(doc: SpecDocument, problems: Problem[]): Promise<SpecDocument | undefined> {
  try {
    // Loaded on first use: most specs are OpenAPI 3, and the converter costs memory in every gateway process.
    const { convertObj } = await import('swagger2openapi');
    const converted = await convertObj(doc.root as never, { patch: true, warnOnly: true, resolve: false, resolveInternal: false });
    return { ...doc, root: converted.openapi as unknown, swagger2: true };
  } catch (error) {
    problems.push({ file: doc.file, at: '#', message: `Swagger 2.0 document cannot be converted to OpenAPI 3: ${error instanceof Error ? error.message : String(error)}` });
    return undefined;
  }
}

/**
 * The Swagger 2.0 pointer of a pointer into its OpenAPI 3 conversion, for the places that map one to one.
 * Best effort: a request body (from `in: body` or `formData` parameters) has no single Swagger place, and a
 * parameter index can shift when body parameters came before it.
 */
export function swaggerPointer(pointer: string): string {
  return pointer
    .replace(/^#\/components\/schemas\//, '#/definitions/')
    .replace(/^#\/components\/(parameters|responses)\//, '#/$1/')
    .replace(/\/content\/[^/]+\/schema(?=\/|$)/, '/schema')
    .replace(/\/content\/[^/]+$/, '')
    .replace(/(\/parameters\/\d+)\/schema(?=\/|$)/, '$1');
}

function checkVersion(doc: SpecDocument, problems: Problem[]): '3.0' | '3.1' | undefined {
  const notOpenApi = (message: string): undefined => {
    problems.push({ file: doc.file, at: '#', message });
    return undefined;
  };
  if (!isRecord(doc.root)) return notOpenApi('not an OpenAPI document: the top level is not a mapping');
  const version = doc.root['openapi'];
  if (version === undefined) {
    return doc.root['swagger'] !== undefined
      ? notOpenApi(`unsupported Swagger version ${JSON.stringify(doc.root['swagger'])}: expected "2.0"`)
      : notOpenApi('not an OpenAPI document: there is no `openapi` or `swagger` field');
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

/**
 * Where a `$ref`'s file part points: a path beside a local document, a URL beside a fetched one. References
 * from a local file to a URL are refused (undefined): loading a local spec reads files only.
 */
function refLocation(from: string, file: string): string | undefined {
  if (isUrl(from)) return new URL(file, from).href;
  if (/^[a-z][a-z0-9+.-]*:/i.test(file)) return undefined;
  return path.resolve(path.dirname(from), file);
}

function relativeLabel(main: string, location: string): string {
  if (!isUrl(main)) return path.relative(path.dirname(main), location);
  const base = new URL('.', main).href;
  return location.startsWith(base) ? location.slice(base.length) : location;
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

export interface LoadSpecOptions {
  /** Milliseconds each http(s) document may take to download. Default 10000. */
  readonly fetchTimeoutMs?: number;
  /**
   * The documents of an earlier load (`LoadedSpec.fetched`), used instead of fetching: no request is made, and a
   * URL not among them is a problem. Default: fetch every URL.
   */
  readonly offline?: ReadonlyMap<string, FetchedDocument>;
}

/**
 * Reads the spec and every file its `$ref`s reach, and checks that each reference points at something and
 * that no chain of references loops. Throws `SpecInvalidError` listing every problem found.
 */
export async function loadSpec(specFile: string, options: LoadSpecOptions = {}): Promise<LoadedSpec> {
  const fetchTimeoutMs = options.fetchTimeoutMs ?? 10_000;
  const offline = options.offline;
  const fetched = new Map<string, FetchedDocument>();
  const fetchDocument: FetchDocument = async (url) => {
    if (offline) return offline.get(url) ?? `the saved copy of the spec has no ${url}`;
    const got = await fetchText(url, fetchTimeoutMs);
    if (typeof got !== 'string') fetched.set(url, got);
    return got;
  };
  const problems: Problem[] = [];
  const read = await readDocument(specFile, '', problems, fetchDocument);
  const main = read && isRecord(read.root) && read.root['swagger'] === '2.0' ? await fromSwagger2(read, problems) : read;
  const version = main ? checkVersion(main, problems) : undefined;
  if (!main || !version) throw new SpecInvalidError(`OpenAPI spec ${specFile} is invalid`, problems);

  const documents = new Map<string, SpecDocument | undefined>([[specFile, main]]);
  const sites: RefSite[] = [];
  const pending: SpecDocument[] = [main];
  for (let doc = pending.shift(); doc; doc = pending.shift()) {
    for (const site of collectRefs(doc)) {
      sites.push(site);
      const { file } = splitRef(site.ref);
      const absolute = file === '' ? undefined : refLocation(doc.file, file);
      if (absolute === undefined || documents.has(absolute)) continue;
      const loaded = await readDocument(absolute, relativeLabel(specFile, absolute), problems, fetchDocument);
      documents.set(absolute, loaded);
      if (loaded) pending.push(loaded);
    }
  }

  /** One step: the node a `$ref` names, or why there is none. */
  const follow = (doc: SpecDocument, ref: string): SpecNode | string => {
    const { file, pointer } = splitRef(ref);
    const location = file === '' ? undefined : refLocation(doc.file, file);
    if (file !== '' && location === undefined) return `$ref ${JSON.stringify(ref)}: remote references are not supported`;
    const target = location === undefined ? doc : documents.get(location);
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
    fetched,
    deref(node) {
      const resolved = resolveChain(node);
      // Every reference was checked above, so a string here cannot happen; keep the node rather than throw.
      return typeof resolved === 'string' ? node : resolved;
    },
  };
}
