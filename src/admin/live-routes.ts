import type { Problem } from '../errors.js';
import type { SchemaDiff } from '../gateway/schema-diff.js';

/**
 * What came of a change (a reload of the files, a change through the admin API, a version from the cluster):
 * the admin status keeps the last one, the admin API answers with it.
 *  - `applied`: the new generation serves now; `unchanged`: there was nothing to change;
 *  - `invalid`: refused, with every located problem (CONFIG_INVALID, SPEC_INVALID, STITCH_FAILED);
 *  - `refused`: it has breaking changes and neither `?force=true` nor `reload.allowBreaking` allowed them;
 *  - `unavailable`: the cluster's Redis cannot be reached, so a change made here would not reach the other nodes;
 *  - `not-found`: it names a source that does not exist.
 * Anything but `applied` and `unchanged` changed nothing: the generation serving before serves on.
 */
export interface LiveOutcome {
  readonly status: 'applied' | 'unchanged' | 'invalid' | 'refused' | 'unavailable' | 'not-found';
  /** What asked for it. */
  readonly trigger: 'start' | 'file' | 'signal' | 'api' | 'cluster' | 'retry';
  /** ISO time it was decided. */
  readonly at: string;
  /** The config version serving after it. */
  readonly version: number;
  readonly message?: string;
  /** `CONFIG_INVALID`, `SPEC_INVALID` or `STITCH_FAILED` for an invalid change. */
  readonly code?: string;
  /** Every problem, each with its file (or the API key it came in) and key path. */
  readonly problems?: readonly Problem[];
  /** The schema changes it made, or would have made. */
  readonly changes?: SchemaDiff;
  /** Keys it changed that only a restart applies (the listening address, the cache store, ...). */
  readonly needRestart?: readonly string[];
  /** Sources left out because their schema could not be loaded (retried in the background). */
  readonly missing?: readonly { readonly name: string; readonly reason: string }[];
}

/** A change as `POST /admin/api/schema/diff` takes it, to see its schema changes without applying it. */
export type ProposedChange =
  | { readonly put: { readonly name: string; readonly entry: unknown } }
  | { readonly delete: string }
  | { readonly links: string }
  | { readonly sdl: string };

/** One node of a cluster as `GET /admin/api/cluster` lists it. */
export interface ClusterNodeView {
  readonly id: string;
  readonly address: string;
  /** The config version it serves. */
  readonly version: number;
  readonly startedAt: string;
  readonly uptimeSeconds: number;
  /** `ready` or why not (`shutting_down`, `required source orders unreachable`, ...). */
  readonly health: string;
  readonly lastSeen: string;
  /** Not seen for three heartbeats. */
  readonly stale: boolean;
}

export interface ClusterView {
  /** `off` (a single node), `connected`, or `unreachable` (this node serves its version and says so). */
  readonly mode: 'off' | 'connected' | 'unreachable';
  readonly redis?: string;
  readonly self: string;
  /** The latest version stored in Redis, when it could be read. */
  readonly clusterVersion?: number;
  readonly nodes: readonly ClusterNodeView[];
}

/** What the admin API's live routes need from the gateway's live operation; see `server/live-config.ts`. */
export interface LiveAdmin {
  /** The sources of the config serving now, each as its `sources:` entry and where it came from (`file` or `api`). */
  sources(): readonly { name: string; kind: string; origin: 'file' | 'api'; schema: string; entry: unknown }[];
  putSource(name: string, entry: unknown, options: { force: boolean }): Promise<LiveOutcome>;
  deleteSource(name: string, options: { force: boolean }): Promise<LiveOutcome>;
  putLinks(sdl: string, options: { force: boolean }): Promise<LiveOutcome>;
  /** The SDL of the schema serving now. */
  schema(): string;
  /** The schema changes `change` would make; nothing is applied. */
  diff(change: ProposedChange): Promise<LiveOutcome>;
  /** Reloads the config and every file it names (as SIGHUP does). */
  reload(options: { force: boolean }): Promise<LiveOutcome>;
  cluster(): Promise<ClusterView>;
  /** Live operation's part of `GET /admin/api/status`: version, last outcome, missing sources, cluster mode. */
  status(): Record<string, unknown>;
}

type Fetch = { Response: typeof Response };

function json(fetchAPI: Fetch, status: number, body: unknown): Response {
  return new fetchAPI.Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' } });
}

/** The HTTP status of an outcome: 200 when it serves, 422 with the problems, 409 with the breaking changes. */
export function outcomeResponse(fetchAPI: Fetch, outcome: LiveOutcome): Response {
  const status = { applied: 200, unchanged: 200, invalid: 422, refused: 409, unavailable: 503, 'not-found': 404 }[outcome.status];
  if (outcome.status === 'refused') {
    return json(fetchAPI, status, { ...outcome, error: 'the change has breaking changes (listed in breaking); send it again with ?force=true to apply it anyway', breaking: outcome.changes?.breaking ?? [] });
  }
  return json(fetchAPI, status, outcome);
}

const SOURCE_ROUTE = /^sources\/([A-Za-z][A-Za-z0-9_-]*)$/;

async function readJson(request: Request): Promise<{ ok: true; value: unknown } | { ok: false }> {
  try {
    return { ok: true, value: await request.json() };
  } catch {
    return { ok: false };
  }
}

/**
 * The routes of live operation under `/admin/api/` (the token is checked before):
 *   GET    sources                 the sources with their entries
 *   GET    sources/{name}          one source's entry
 *   PUT    sources/{name}          add or replace a source: the body is one `sources:` entry as JSON (`name` may be
 *                                  left out; a spec may come inline as `specText`/`protoText`/`schemaText`)
 *   DELETE sources/{name}          remove a source
 *   PUT    links                   the links as SDL text (`Content-Type: application/graphql` or text/plain)
 *   GET    schema                  the SDL serving now
 *   POST   schema/diff             a proposed change's schema changes, classed breaking / dangerous / safe
 *   POST   reload                  reload the config and every file it names, like SIGHUP
 *   GET    cluster                 the nodes, their versions and health
 * A change with breaking changes answers 409 listing them unless `?force=true`; a change answers only once the
 * new generation serves it. Returns undefined for a path it does not serve.
 */
export async function liveRoute(live: LiveAdmin, request: Request, url: URL, fetchAPI: Fetch): Promise<Response | undefined> {
  const path = url.pathname.slice('/admin/api/'.length);
  const force = url.searchParams.get('force') === 'true';
  const method = request.method;
  if (path === 'sources' && method === 'GET') return json(fetchAPI, 200, { sources: live.sources() });
  const sourceName = SOURCE_ROUTE.exec(path)?.[1];
  if (sourceName !== undefined) {
    if (method === 'GET') {
      const found = live.sources().find((s) => s.name === sourceName);
      return found ? json(fetchAPI, 200, found) : json(fetchAPI, 404, { error: `unknown source "${sourceName}"` });
    }
    if (method === 'PUT') {
      const body = await readJson(request);
      if (!body.ok || body.value === null || typeof body.value !== 'object' || Array.isArray(body.value)) {
        return json(fetchAPI, 400, { error: 'the body must be one `sources:` entry as a JSON object, e.g. {"kind":"openapi","spec":"/srv/pets.yaml","endpoints":["http://pets:8080"]}' });
      }
      const named = (body.value as { name?: unknown }).name;
      if (named !== undefined && named !== sourceName) return json(fetchAPI, 400, { error: `the body names source "${String(named)}" but the path names "${sourceName}"` });
      return outcomeResponse(fetchAPI, await live.putSource(sourceName, body.value, { force }));
    }
    if (method === 'DELETE') return outcomeResponse(fetchAPI, await live.deleteSource(sourceName, { force }));
    return json(fetchAPI, 405, { error: `${method} is not allowed on ${path}` });
  }
  if (path.startsWith('sources/')) return json(fetchAPI, 400, { error: 'a source name starts with a letter and has only letters, digits, _ and -' });
  if (path === 'links' && method === 'PUT') {
    const sdl = await request.text();
    if (sdl.trim() === '') return json(fetchAPI, 400, { error: 'the body must be the links as SDL text' });
    return outcomeResponse(fetchAPI, await live.putLinks(sdl, { force }));
  }
  if (path === 'schema' && method === 'GET') return new fetchAPI.Response(live.schema(), { headers: { 'content-type': 'application/graphql; charset=utf-8', 'cache-control': 'no-store' } });
  if (path === 'schema/diff' && method === 'POST') {
    const body = await readJson(request);
    const change = body.ok ? proposedChange(body.value) : undefined;
    if (!change) return json(fetchAPI, 400, { error: 'the body must be one of {"put": {"name": "...", "entry": {...}}}, {"delete": "<source>"}, {"links": "<SDL>"}, {"sdl": "<whole schema SDL>"}' });
    return outcomeResponse(fetchAPI, await live.diff(change));
  }
  if (path === 'reload' && method === 'POST') return outcomeResponse(fetchAPI, await live.reload({ force }));
  if (path === 'cluster' && method === 'GET') return json(fetchAPI, 200, await live.cluster());
  return undefined;
}

function proposedChange(value: unknown): ProposedChange | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  const put = v['put'] as { name?: unknown; entry?: unknown } | undefined;
  if (put && typeof put === 'object' && typeof put.name === 'string' && put.entry !== undefined) return { put: { name: put.name, entry: put.entry } };
  if (typeof v['delete'] === 'string') return { delete: v['delete'] };
  if (typeof v['links'] === 'string') return { links: v['links'] };
  if (typeof v['sdl'] === 'string') return { sdl: v['sdl'] };
  return undefined;
}
