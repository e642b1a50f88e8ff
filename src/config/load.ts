import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigInvalidError, type Problem } from '../errors.js';
import { interpolateEnv, type InterpolationProblem } from './interpolate.js';
import { configSchema, type ParsedConfig, type SourceConfig } from './schema.js';

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
  return validateConfig(document.toJS(), absolute, options);
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
    return { file, at, message: `must be one of ${(issue as { options?: unknown[] }).options?.map((o) => JSON.stringify(o)).join(', ') ?? '"openapi", "grpc", "graphql"'}` };
  }
  return { file, at, message: issue.message };
}

function resolvePaths(config: ParsedConfig, baseDir: string): ParsedConfig {
  const sources = config.sources.map((source): SourceConfig => {
    switch (source.kind) {
      case 'openapi':
        return { ...source, spec: resolveSpecLocation(baseDir, source.spec) };
      case 'grpc':
        return {
          ...source,
          ...(source.proto !== undefined ? { proto: resolve(baseDir, source.proto) } : {}),
          ...(source.includeDirs ? { includeDirs: source.includeDirs.map((d) => resolve(baseDir, d)) } : {}),
          ...(source.tls ? { tls: resolveTlsPaths(baseDir, source.tls) } : {}),
        };
      case 'graphql':
        return source.schema ? { ...source, schema: resolve(baseDir, source.schema) } : source;
    }
  });
  return { ...config, sources, ...(config.links ? { links: resolve(baseDir, config.links) } : {}) };
}

function resolveTlsPaths<T extends { ca?: string | undefined; cert?: string | undefined; key?: string | undefined }>(baseDir: string, tls: T): T {
  return {
    ...tls,
    ...(tls.ca !== undefined ? { ca: resolve(baseDir, tls.ca) } : {}),
    ...(tls.cert !== undefined ? { cert: resolve(baseDir, tls.cert) } : {}),
    ...(tls.key !== undefined ? { key: resolve(baseDir, tls.key) } : {}),
  };
}

/** A URL stays a URL; anything else is a path relative to the config file. */
function resolveSpecLocation(baseDir: string, location: string): string {
  return /^https?:\/\//.test(location) ? location : resolve(baseDir, location);
}

function checkSemantics(config: ParsedConfig, file: string): Problem[] {
  const problems: Problem[] = [];
  const seen = new Map<string, number>();
  config.sources.forEach((source, index) => {
    const first = seen.get(source.name);
    if (first !== undefined) problems.push({ file, at: `sources[${index}].name`, message: `duplicate source name "${source.name}" (first used at sources[${first}])` });
    else seen.set(source.name, index);
    const files: [string, string | undefined][] =
      source.kind === 'openapi'
        ? [['spec', /^https?:/.test(source.spec) ? undefined : source.spec]]
        : source.kind === 'grpc'
          ? [['proto', source.proto], ['tls.ca', source.tls?.ca], ['tls.cert', source.tls?.cert], ['tls.key', source.tls?.key]]
          : [['schema', source.schema]];
    for (const [key, path] of files) {
      if (path !== undefined && !isReadableFile(path)) problems.push({ file, at: `sources[${index}].${key}`, message: `file not found: ${path}` });
    }
    if (source.kind === 'grpc') source.includeDirs?.forEach((dir, i) => {
      if (!existsSync(dir)) problems.push({ file, at: `sources[${index}].includeDirs[${i}]`, message: `directory not found: ${dir}` });
    });
    source.endpoints.forEach((endpoint, i) => {
      const message = checkEndpoint(source.kind, endpoint);
      if (message) problems.push({ file, at: `sources[${index}].endpoints[${i}]`, message });
    });
  });
  if (config.links !== undefined && !isReadableFile(config.links)) problems.push({ file, at: 'links', message: `file not found: ${config.links}` });
  return problems;
}

function checkEndpoint(kind: SourceConfig['kind'], endpoint: string): string | undefined {
  if (kind === 'grpc') {
    return /^(dns:\/\/\/|unix:)?[^\s/]+(:\d+)?$/.test(endpoint) ? undefined : `"${endpoint}" is not a gRPC target (host:port)`;
  }
  try {
    const url = new URL(endpoint);
    return url.protocol === 'http:' || url.protocol === 'https:' ? undefined : `"${endpoint}" must be an http:// or https:// URL`;
  } catch {
    return `"${endpoint}" is not a URL`;
  }
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
