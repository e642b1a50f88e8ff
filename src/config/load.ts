import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigInvalidError, type Problem } from '../errors.js';
import { interpolateEnv, type InterpolationProblem } from './interpolate.js';
import { SOURCE_KIND_NAMES, sourceKindOf } from '../sources/registry.js';
import { replicasOf } from '../sources/endpoints.js';
import { configSchema, type ParsedConfig, type SourceConfig } from './schema.js';
import { checkAccess, resolveAccessPaths } from './check-access.js';

/** A validated, defaulted, frozen config with every path made absolute. */
export type GatewayConfig = Readonly<ParsedConfig> & {
  /** Absolute path of the file it came from (or a label for in-memory configs). */
  readonly file: string;
};

export interface LoadConfigOptions {
  /** Variables for `${VAR}`; default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** `sources[1].endpoints[0]`: the key path as a user reads it in the YAML. */
export function formatKeyPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : out === '' ? String(key) : `.${String(key)}`;
  return out;
}

/** Reads, interpolates, validates and freezes the config file; throws `ConfigInvalidError` listing every problem. */
export function loadConfigFile(file: string, options: LoadConfigOptions = {}): GatewayConfig {
  const absolute = resolve(file);
  return validateConfig(readConfigDocument(absolute), absolute, options);
}

/**
 * The config file as written (YAML parsed, nothing interpolated or checked yet): what live operation keeps, so
 * that changes through the admin API are merged into the document before it is validated as a whole.
 * Throws `ConfigInvalidError` when the file cannot be read or is not YAML.
 */
export function readConfigDocument(file: string): unknown {
  const absolute = resolve(file);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (error) {
    throw new ConfigInvalidError(`Cannot read config ${absolute}`, [{ file: absolute, at: '', message: describeFsError(error) }]);
  }
  const document = parseDocument(text, { prettyErrors: true });
  if (document.errors.length > 0) {
    throw new ConfigInvalidError(
      `Config ${absolute} is not valid YAML`,
      document.errors.map((e) => ({ file: absolute, at: e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '', message: e.message.split('\n')[0] ?? e.message })),
    );
  }
  // An editor that truncates before it writes leaves an empty file for a moment: say so plainly.
  if (text.trim() === '') throw new ConfigInvalidError(`Config ${absolute} is empty`, [{ file: absolute, at: '', message: 'the file is empty' }]);
  return document.toJS() as unknown;
}

/** Validates an already parsed config object; relative paths resolve against the directory of `file`. */
export function validateConfig(raw: unknown, file: string, options: LoadConfigOptions = {}): GatewayConfig {
  const interpolationProblems: InterpolationProblem[] = [];
  const interpolated = interpolateEnv(raw, options.env ?? process.env, interpolationProblems);
  const problems: Problem[] = interpolationProblems.map((p) => ({ file, at: formatKeyPath(p.path), message: p.message }));

  const parsed = configSchema.safeParse(interpolated);
  if (!parsed.success) problems.push(...parsed.error.issues.map((issue) => issueToProblem(issue, file)));
  if (problems.length > 0 || !parsed.success) throw new ConfigInvalidError(`Config ${file} is invalid`, problems);

  const baseDir = dirname(file);
  const config = resolvePaths(parsed.data, baseDir);
  problems.push(...checkSemantics(config, file));
  if (problems.length > 0) throw new ConfigInvalidError(`Config ${file} is invalid`, problems);
  return deepFreeze({ ...config, file });
}

function issueToProblem(issue: z.core.$ZodIssue, file: string): Problem {
  const at = formatKeyPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    return { file, at, message: `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}` };
  }
  if (issue.code === 'invalid_union' && 'discriminator' in issue) {
    return { file, at, message: `must be one of ${SOURCE_KIND_NAMES.map((k) => JSON.stringify(k)).join(', ')}` };
  }
  return { file, at, message: issue.message };
}

function resolvePaths(config: ParsedConfig, baseDir: string): ParsedConfig {
  const sources = config.sources.map((source) => sourceKindOf(source).resolvePaths(source, baseDir) as SourceConfig);
  return resolveAccessPaths({ ...config, sources, stateDir: resolve(baseDir, config.stateDir), ...(config.links ? { links: resolve(baseDir, config.links) } : {}) }, baseDir);
}

/** What the schema cannot say: unique names, files that exist, endpoints each kind can call. */
function checkSemantics(config: ParsedConfig, file: string): Problem[] {
  const problems: Problem[] = [];
  const seen = new Map<string, number>();
  config.sources.forEach((source, index) => {
    const first = seen.get(source.name);
    if (first !== undefined) problems.push({ file, at: `sources[${index}].name`, message: `duplicate source name "${source.name}" (first used at sources[${first}])` });
    else seen.set(source.name, index);
    const kind = sourceKindOf(source);
    for (const { key, path, type } of kind.paths(source)) {
      if (type === 'file' && !isReadableFile(path)) problems.push({ file, at: `sources[${index}].${key}`, message: `file not found: ${path}` });
      if (type === 'directory' && !existsSync(path)) problems.push({ file, at: `sources[${index}].${key}`, message: `directory not found: ${path}` });
    }
    source.endpoints.forEach((endpoint, i) => {
      const message = kind.checkEndpoint(typeof endpoint === 'string' ? endpoint : endpoint.url);
      if (message) problems.push({ file, at: `sources[${index}].endpoints[${i}]${typeof endpoint === 'string' ? '' : '.url'}`, message });
    });
    problems.push(...checkReplicaSettings(source, `sources[${index}]`).map((p) => ({ file, ...p })));
  });
  if (config.links !== undefined && !isReadableFile(config.links)) problems.push({ file, at: 'links', message: `file not found: ${config.links}` });
  problems.push(...checkAccess(config, file));
  return problems;
}

/** Groups and route rules that name replicas that exist, a health check the kind can make, fallbacks it can serve. */
function checkReplicaSettings(source: SourceConfig, at: string): { at: string; message: string }[] {
  const problems: { at: string; message: string }[] = [];
  const replicas = replicasOf(source);
  const groups = new Set(replicas.map((r) => r.group));
  const known = () => [...groups].map((g) => `"${g}"`).join(', ');
  const seen = new Set<string>();
  replicas.forEach((replica, i) => {
    if (seen.has(replica.url)) problems.push({ at: `${at}.endpoints[${i}]`, message: `"${replica.url}" is listed twice` });
    seen.add(replica.url);
  });
  for (const group of Object.keys(source.groups ?? {})) {
    if (!groups.has(group)) problems.push({ at: `${at}.groups.${group}`, message: `no endpoint is in group "${group}" (groups: ${known()})` });
  }
  if (source.groups && Object.values(source.groups).every((weight) => weight === 0)) problems.push({ at: `${at}.groups`, message: 'at least one group needs a weight above 0' });
  source.route?.forEach((rule, i) => {
    if (!groups.has(rule.group)) problems.push({ at: `${at}.route[${i}].group`, message: `no endpoint is in group "${rule.group}" (groups: ${known()})` });
  });
  const active = source.health?.active;
  if (active) {
    if (source.kind === 'grpc' && active.path !== undefined) problems.push({ at: `${at}.health.active.path`, message: 'gRPC replicas are checked with grpc.health.v1.Health/Check: give `service` (or nothing), not `path`' });
    if (source.kind !== 'grpc' && active.path === undefined) problems.push({ at: `${at}.health.active.path`, message: 'an HTTP health check needs the path to poll, e.g. /healthz' });
    if (source.kind !== 'grpc' && active.service !== undefined) problems.push({ at: `${at}.health.active.service`, message: '`service` is for gRPC sources; HTTP ones are checked at `path`' });
  }
  if (sourceKindOf(source).delegated) {
    for (const [name, settings] of Object.entries(source.operations ?? {})) {
      if (settings.fallback !== undefined) problems.push({ at: `${at}.operations.${name}.fallback`, message: 'a remote GraphQL source takes whole documents: fallbacks are for REST and gRPC operations' });
    }
  }
  return problems;
}

function isReadableFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'file not found';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory, not a file';
  return error instanceof Error ? error.message : String(error);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}
