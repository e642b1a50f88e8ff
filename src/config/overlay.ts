import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseDocument, stringify } from 'yaml';
import { ConfigInvalidError, isBootError, type Problem } from '../errors.js';
import { sourceKindOf, SOURCE_KIND_NAMES } from '../sources/registry.js';
import { interpolateEnv } from './interpolate.js';
import { readConfigDocument, validateConfig, type GatewayConfig, type LoadConfigOptions } from './load.js';

/**
 * What the admin API changed on top of the config file: sources put (one `sources:` entry as the API received
 * it, inline spec texts included) or deleted (null), by name, and the links put as SDL text. Kept in the state
 * directory as `registered.yaml` and, in a cluster, in Redis, and merged into the config document at every load,
 * so a restart and every node see the same sources.
 */
export interface ConfigOverlay {
  readonly sources: Readonly<Record<string, Readonly<Record<string, unknown>> | null>>;
  /** SDL text replacing the config's `links` file. Default: the file's. */
  readonly links?: string;
}

export const EMPTY_OVERLAY: ConfigOverlay = Object.freeze({ sources: Object.freeze({}) });

/** The config as live operation keeps it: the file's document (as written) and the overlay on top of it. */
export interface ConfigState {
  readonly document: unknown;
  readonly overlay: ConfigOverlay;
}

/** The name of the overlay file in the state directory. */
export const OVERLAY_FILE = 'registered.yaml';

/** The state directory a config document names (`stateDir`, relative to the config file), before validation. */
export function stateDirOf(document: unknown, file: string, env: Readonly<Record<string, string | undefined>> = process.env): string {
  const raw = (document as { stateDir?: unknown } | null)?.stateDir;
  const value = typeof raw === 'string' ? interpolateEnv(raw, env, []) : '.interchange';
  return resolve(dirname(file), typeof value === 'string' && value !== '' ? value : '.interchange');
}

/** Reads `registered.yaml` of a state directory: the empty overlay when there is none. */
export function readOverlay(stateDir: string): ConfigOverlay {
  const file = join(stateDir, OVERLAY_FILE);
  if (!existsSync(file)) return EMPTY_OVERLAY;
  const fail = (message: string) => new ConfigInvalidError(`Registered sources ${file} are invalid`, [{ file, at: '', message }]);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw fail(error instanceof Error ? error.message : String(error));
  }
  const document = parseDocument(text);
  if (document.errors.length > 0) throw fail(document.errors[0]!.message.split('\n')[0]!);
  return overlayFrom(document.toJS() as unknown, fail);
}

/** Checks the shape of an overlay read from a file or Redis. */
export function overlayFrom(value: unknown, fail: (message: string) => Error = (message) => new Error(message)): ConfigOverlay {
  if (value === null || value === undefined) return EMPTY_OVERLAY;
  if (typeof value !== 'object' || Array.isArray(value)) throw fail('must be a map with `sources` and `links`');
  const { sources = {}, links } = value as { sources?: unknown; links?: unknown };
  if (typeof sources !== 'object' || sources === null || Array.isArray(sources)) throw fail('`sources` must map source names to entries (or null when deleted)');
  for (const [name, entry] of Object.entries(sources)) {
    if (entry !== null && (typeof entry !== 'object' || Array.isArray(entry))) throw fail(`sources.${name} must be an entry or null`);
  }
  if (links !== undefined && links !== null && typeof links !== 'string') throw fail('`links` must be SDL text');
  return { sources: sources as ConfigOverlay['sources'], ...(typeof links === 'string' ? { links } : {}) };
}

/** Writes `registered.yaml` atomically (a temporary file renamed over it): a watcher never reads half of it. */
export function writeOverlay(stateDir: string, overlay: ConfigOverlay): void {
  mkdirSync(stateDir, { recursive: true });
  const file = join(stateDir, OVERLAY_FILE);
  const header = '# Sources and links changed through the admin API (PUT/DELETE /admin/api/sources/{name}, PUT /admin/api/links).\n# Merged into the config at every load; null means deleted. Written by the gateway.\n';
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, header + stringify({ sources: overlay.sources, ...(overlay.links !== undefined ? { links: overlay.links } : {}) }, { lineWidth: 0 }));
  renameSync(temporary, file);
}

/** Where an inline text was written, so problems found in the file can name the key it came in. */
export type InlineLabels = ReadonlyMap<string, string>;

/**
 * The config document with the overlay applied: put entries replace the file's entry of that name (in place) or
 * are added after them, deleted ones are dropped, and links text replaces the links file. Inline spec texts
 * (`specText`, `protoText`, `schemaText`: whatever key the kind declares) are written, content-addressed, to
 * `<stateDir>/inline/` and replaced by the path key they stand for.
 */
export function applyOverlay(document: unknown, overlay: ConfigOverlay, stateDir: string): { document: unknown; inline: InlineLabels } {
  const inline = new Map<string, string>();
  const hasOverlay = Object.keys(overlay.sources).length > 0 || overlay.links !== undefined;
  if (!hasOverlay || document === null || typeof document !== 'object' || Array.isArray(document)) return { document, inline };
  const root = { ...(document as Record<string, unknown>) };
  const written = (name: string, text: string, extension: string, label: string) => {
    const folder = join(stateDir, 'inline');
    const file = join(folder, `${name}-${createHash('sha256').update(text).digest('hex').slice(0, 16)}${extension}`);
    if (!existsSync(file)) {
      mkdirSync(folder, { recursive: true });
      const temporary = `${file}.${process.pid}.tmp`;
      writeFileSync(temporary, text);
      renameSync(temporary, file);
    }
    inline.set(file, label);
    return file;
  };
  const materialised = (name: string, entry: Readonly<Record<string, unknown>>) => {
    const kind = typeof entry['kind'] === 'string' && SOURCE_KIND_NAMES.includes(entry['kind']) ? sourceKindOf({ kind: entry['kind'] }) : undefined;
    const spec = kind?.inlineSpec;
    const text = spec ? entry[spec.key] : undefined;
    if (!spec || typeof text !== 'string') return { ...entry, name };
    const { [spec.key]: _text, ...rest } = entry;
    return { ...rest, name, [spec.replaces]: written(name, text, spec.extension(text), `sources.${name}.${spec.key}`) };
  };
  const base = Array.isArray(root['sources']) ? (root['sources'] as unknown[]) : [];
  const named = (entry: unknown) => (entry !== null && typeof entry === 'object' ? (entry as { name?: unknown }).name : undefined);
  const sources: unknown[] = [];
  for (const entry of base) {
    const name = named(entry);
    if (typeof name === 'string' && name in overlay.sources) {
      const replacement = overlay.sources[name];
      if (replacement) sources.push(materialised(name, replacement));
    } else sources.push(entry);
  }
  const present = new Set(base.map(named));
  for (const [name, entry] of Object.entries(overlay.sources)) if (entry && !present.has(name)) sources.push(materialised(name, entry));
  root['sources'] = sources;
  if (overlay.links !== undefined) root['links'] = written('links', overlay.links, '.graphql', 'links');
  return { document: root, inline };
}

/**
 * The config of a state: overlay applied, validated and frozen. Problems in an inline text's file name the key it
 * came in (`sources.pets.specText`) instead of the file the gateway wrote it to.
 */
export function composeConfig(state: ConfigState, file: string, options: LoadConfigOptions = {}): { config: GatewayConfig; inline: InlineLabels } {
  const stateDir = stateDirOf(state.document, file, options.env);
  const { document, inline } = applyOverlay(state.document, state.overlay, stateDir);
  try {
    return { config: validateConfig(document, file, options), inline };
  } catch (error) {
    throw relabelInline(error, inline);
  }
}

/** A boot error whose problems in inline files are named by the key the text came in. */
export function relabelInline(error: unknown, inline: InlineLabels): unknown {
  if (inline.size === 0 || !isBootError(error) || !error.problems.some((p) => inline.has(p.file))) return error;
  const relabelled: Problem[] = error.problems.map((p) => (inline.has(p.file) ? { ...p, file: inline.get(p.file)! } : p));
  const Constructor = error.constructor as new (summary: string, problems: readonly Problem[]) => Error;
  return new Constructor(error.message.split('\n')[0]!, relabelled);
}

/** The files a config reads (specs, protos, SDL, links, TLS and key files): what is watched and digested. */
export function inputFiles(config: GatewayConfig): { files: string[]; directories: string[] } {
  const files = new Set<string>();
  const directories = new Set<string>();
  for (const source of config.sources) {
    for (const named of sourceKindOf(source).paths(source)) (named.type === 'file' ? files : directories).add(named.path);
  }
  if (config.links !== undefined) files.add(config.links);
  const jwks = config.auth.jwt?.jwks;
  if (jwks !== undefined && !/^https?:\/\//i.test(jwks)) files.add(jwks);
  if (config.server.trustedDocuments !== undefined) files.add(config.server.trustedDocuments);
  return { files: [...files], directories: [...directories] };
}

/** A digest of a state and of the content of every file its config reads: equal digests, nothing to reload. */
export function stateDigest(state: ConfigState, config: GatewayConfig): string {
  const hash = createHash('sha256').update(JSON.stringify(state.document)).update('\0').update(JSON.stringify(state.overlay));
  for (const file of inputFiles(config).files.sort()) {
    hash.update('\0').update(file).update('\0');
    try {
      hash.update(readFileSync(file));
    } catch {
      hash.update('(unreadable)');
    }
  }
  return hash.digest('hex');
}

/**
 * The config a live gateway starts from: the file with `registered.yaml` of its state directory applied, validated
 * (every problem named with its file and key), no source loaded. `serve --workers N` checks it before forking.
 */
export function startingConfig(file: string, env: Readonly<Record<string, string | undefined>> = process.env): { state: ConfigState; config: GatewayConfig } {
  const path = resolve(file);
  const document = readConfigDocument(path);
  const state: ConfigState = { document, overlay: readOverlay(stateDirOf(document, path, env)) };
  return { state, config: composeConfig(state, path, { env }).config };
}
