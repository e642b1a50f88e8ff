import { resolve } from 'node:path';
import { buildSchema, printSchema } from 'graphql';
import type { ClusterView, LiveAdmin, LiveOutcome, ProposedChange } from '../admin/live-routes.js';
import { readConfigDocument } from '../config/load.js';
import {
  composeConfig,
  inputFiles,
  OVERLAY_FILE,
  readOverlay,
  relabelInline,
  startingConfig,
  stateDigest,
  stateDirOf,
  writeOverlay,
  type ConfigOverlay,
  type ConfigState,
} from '../config/overlay.js';
import { isBootError, type Problem } from '../errors.js';
import { loadSource } from '../gateway/load-sources.js';
import { diffSchemas, type SchemaDiff } from '../gateway/schema-diff.js';
import { createFileSnapshots, layeredSnapshots } from '../gateway/schema-snapshots.js';
import { silentLogger, type Logger } from '../observability/logger.js';
import { joinCluster, type Cluster, type NodeSelf } from './cluster.js';
import { createGateway, type Gateway, type GatewayOptions, type PreparedGeneration } from './create-gateway.js';
import { watchInputs, type InputWatcher } from './watch-inputs.js';
import { isChannelMessage, WORKERS_CHANNEL } from './worker-channel.js';

export interface LiveGatewayOptions extends Omit<GatewayOptions, 'snapshots' | 'tolerateMissing' | 'version' | 'live'> {
  /** The config file. */
  file: string;
  /** Variables for `${VAR}`. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Watch the config and every file it names, reloading on change. Default true. */
  watch?: boolean;
  /** Told of every outcome of a watched change or a signal (the CLI prints them). Default: logged only. */
  onOutcome?: (outcome: LiveOutcome) => void;
}

/** A gateway under live operation: its config follows the files, the admin API and the cluster. */
export interface LiveGateway extends AsyncDisposable {
  readonly gateway: Gateway;
  readonly admin: LiveAdmin;
  /** The config version serving now. */
  readonly version: number;
  /** The last outcome of a change (the admin status shows it). */
  readonly lastOutcome: LiveOutcome;
  /** Reloads the config and every file it names (SIGHUP, `POST /admin/api/reload`). */
  reload(trigger: 'signal' | 'api', options?: { force?: boolean }): Promise<LiveOutcome>;
  /** The node's address once it listens, for `GET /admin/api/cluster`. */
  listening(address: string): void;
  /** Stops watching, retrying and heartbeating, and leaves the cluster (the first step of a shutdown). */
  stop(): Promise<void>;
}

type Trigger = LiveOutcome['trigger'];

interface AttemptOptions {
  trigger: Trigger;
  /** Refuse breaking changes unless forced. */
  guard: boolean;
  force?: boolean;
  /** Publish the result to the cluster (a change made on this node). */
  publish: boolean;
  /** Nothing to do when the state's digest equals the serving one. */
  skipIfUnchanged: boolean;
  /** The version to serve it as (a cluster version being adopted). */
  version?: number;
  /** Sources that must load (the one a PUT names): a failure to fetch its schema refuses the change. */
  mustLoad?: readonly string[];
  /** Only compute the diff; apply nothing. */
  dryRun?: boolean;
  /** An invalid result is neither recorded nor logged (a file read right after an editor truncated it). */
  tentative?: boolean;
}

/**
 * Live operation: a gateway whose configuration is the config file's document plus the overlay of changes made
 * through the admin API, and, in a cluster, the version stored in Redis. Every change, whatever asked for it,
 * goes the same way, one at a time: compose the config (overlay applied, inline specs written to the state
 * directory, validated), build the next generation beside the current one, diff its schema against the serving
 * one (and refuse breaking changes where asked), publish it to the cluster, swap it in, persist the overlay.
 * Anything failing on the way changes nothing. Sources whose schema could not be fetched (and has no snapshot)
 * are left out and retried in the background with back-off.
 */
export async function createLiveGateway(options: LiveGatewayOptions): Promise<LiveGateway> {
  const file = resolve(options.file);
  const env = options.env ?? process.env;
  const logger = options.logger ?? silentLogger;
  const loadOptions = { env };

  const start = startingConfig(file, env);
  let state: ConfigState = start.state;
  let config = start.config;
  const clusterUrl = config.cluster.redis ?? (/^rediss?:\/\//.test(config.cache.store) ? config.cache.store : 'off');
  const cluster: Cluster | undefined = clusterUrl === 'off' ? undefined : await joinCluster({ url: clusterUrl, nodeId: config.cluster.nodeId, heartbeatMs: config.cluster.heartbeatMs, logger });
  let version = 1;
  let published = false;
  if (cluster) {
    const record = await cluster.read();
    if (record === 'unavailable') logger.warn({ redis: clusterUrl }, 'the cluster Redis is unreachable at start: serving the local config until it is back');
    else if (record) {
      try {
        const adopted = { document: record.document, overlay: record.overlay };
        config = composeConfig(adopted, file, loadOptions).config;
        state = adopted;
        version = record.version;
        published = true;
      } catch (error) {
        logger.error({ err: error, version: record.version }, `the cluster's config version ${record.version} cannot be loaded on this node; serving the local config`);
      }
    }
  }
  let digest = stateDigest(state, config);

  let mustLoad = new Set<string>();
  const snapshots = layeredSnapshots([createFileSnapshots(config.stateDir, (err) => logger.warn({ err }, 'writing a schema snapshot failed')), ...(cluster ? [cluster.snapshots] : [])]);
  let admin!: LiveAdmin;
  let gateway: Gateway;
  try {
    gateway = await createGateway(config, { ...options, logger, snapshots, tolerateMissing: (name) => !mustLoad.has(name), version, live: () => admin });
  } catch (error) {
    await cluster?.[Symbol.asyncDispose]();
    throw error;
  }
  if (cluster && !published) {
    const result = await cluster.publish({ ...state, digest }, 0);
    if (result.status === 'published' || result.status === 'same') version = result.version;
    // A node that lost the race to store the first version adopts the winner's right after.
    if (result.status === 'conflict') queueMicrotask(() => void adoptClusterVersion(result.version));
  }
  const origin = (name: string): 'file' | 'api' => (name in state.overlay.sources ? 'api' : 'file');
  let address = '';
  let lastOutcome: LiveOutcome = {
    status: 'applied',
    trigger: 'start',
    at: new Date().toISOString(),
    version,
    ...(gateway.current.missing.length > 0 ? { missing: gateway.current.missing } : {}),
  };

  // ---- one change at a time
  let queue: Promise<unknown> = Promise.resolve();
  function serial<T>(run: () => Promise<T>): Promise<T> {
    const next = queue.then(run, run);
    queue = next.catch(() => undefined);
    return next;
  }

  const outcome = (status: LiveOutcome['status'], trigger: Trigger, extra: Partial<LiveOutcome> = {}): LiveOutcome => ({ status, trigger, at: new Date().toISOString(), version, ...extra });
  const record = (result: LiveOutcome, dryRun = false): LiveOutcome => {
    // A watched file that changed to what serves already (an editor's touch, our own registered.yaml) is no reload.
    if (!dryRun && !(result.status === 'unchanged' && result.trigger === 'file')) {
      lastOutcome = result;
      if (result.status === 'applied') logger.info({ trigger: result.trigger, version: result.version }, 'configuration applied');
      else if (result.status !== 'unchanged') {
        const what = result.trigger === 'api' ? 'change refused' : 'reload failed, keeping the running configuration';
        logger[result.trigger === 'api' ? 'warn' : 'error']({ trigger: result.trigger, status: result.status, problems: result.problems, breaking: result.changes?.breaking.length }, `${what}: ${result.message ?? result.status}`);
      }
    }
    return result;
  };
  const invalid = (error: unknown, trigger: Trigger, inline?: ReadonlyMap<string, string>): LiveOutcome => {
    const relabelled = inline ? relabelInline(error, inline) : error;
    if (!isBootError(relabelled)) return outcome('invalid', trigger, { message: relabelled instanceof Error ? relabelled.message : String(relabelled) });
    return outcome('invalid', trigger, { code: relabelled.code, message: relabelled.message.split('\n')[0]!, problems: relabelled.problems });
  };

  /** Outcomes of a publish that lost a race with another node: the change is made again on the newer version. */
  const conflicts = new WeakSet<LiveOutcome>();

  /** Builds `next` beside the serving generation and, unless refused, swaps it in. */
  async function attempt(next: ConfigState, opts: AttemptOptions): Promise<LiveOutcome> {
    let composed: ReturnType<typeof composeConfig>;
    try {
      composed = composeConfig(next, file, loadOptions);
    } catch (error) {
      return invalid(error, opts.trigger);
    }
    const nextDigest = stateDigest(next, composed.config);
    if (opts.skipIfUnchanged && nextDigest === digest && !opts.dryRun) return outcome('unchanged', opts.trigger);
    let prepared: PreparedGeneration;
    mustLoad = new Set(opts.mustLoad ?? []);
    try {
      prepared = await gateway.prepare(composed.config);
    } catch (error) {
      return invalid(error, opts.trigger, composed.inline);
    } finally {
      mustLoad = new Set();
    }
    let changes: SchemaDiff;
    try {
      changes = await diffSchemas(gateway.current.schema, prepared.generation.schema);
    } catch (error) {
      await prepared.discard();
      return outcome('invalid', opts.trigger, { message: `the schema diff failed: ${error instanceof Error ? error.message : String(error)}` });
    }
    const missing = prepared.generation.missing;
    const extra = { changes, needRestart: prepared.needRestart, ...(missing.length > 0 ? { missing } : {}) };
    if (opts.dryRun) {
      await prepared.discard();
      return outcome('unchanged', opts.trigger, extra);
    }
    // A watched registered.yaml that changed alone carries a change another process sharing the state directory
    // (a worker) made through its admin API, where it was guarded (or forced) already: refusing it here would
    // leave the processes serving different schemas.
    const overlayOnly = opts.trigger === 'file' && JSON.stringify(next.document) === JSON.stringify(state.document);
    if (opts.guard && !overlayOnly && changes.breaking.length > 0 && !opts.force) {
      await prepared.discard();
      return outcome('refused', opts.trigger, { ...extra, message: `${changes.breaking.length} breaking change(s)` });
    }
    let nextVersion = opts.version ?? (nextDigest === digest ? version : version + 1);
    if (cluster && opts.publish) {
      const result = await cluster.publish({ ...next, digest: nextDigest }, version);
      if (result.status === 'conflict') {
        await prepared.discard();
        const conflict = outcome('unavailable', opts.trigger, { ...extra, message: `conflict: the cluster moved to version ${result.version}` });
        conflicts.add(conflict);
        return conflict;
      }
      if (result.status === 'unavailable') {
        if (opts.trigger === 'api') {
          await prepared.discard();
          return outcome('unavailable', opts.trigger, { ...extra, message: `the cluster Redis cannot be reached (${result.reason}): a change made here would not reach the other nodes` });
        }
        // The operator changed this node's files: serve them; the cluster's version wins again when it is back.
        logger.warn('the cluster Redis is unreachable: the change of the files serves on this node only');
      } else nextVersion = result.version;
    }
    prepared.commit({ version: nextVersion });
    const overlayChanged = JSON.stringify(next.overlay) !== JSON.stringify(state.overlay);
    state = next;
    config = composed.config;
    digest = nextDigest;
    version = nextVersion;
    if (overlayChanged) persistOverlay(next.overlay);
    watcher?.refresh();
    retry.schedule();
    return outcome('applied', opts.trigger, extra);
  }

  /**
   * The state an admin API change starts from. Without a cluster, another process sharing the state directory
   * (a worker) may have changed registered.yaml a moment ago, before this one's watcher reloaded it: the change
   * starts from the file, so it does not write that change away. Not when this process could not write the
   * file itself: then its own state is newer than the file.
   */
  const baseOf = (opts: AttemptOptions): ConfigState => {
    if (cluster || opts.trigger !== 'api' || overlayUnsaved) return state;
    try {
      return { ...state, overlay: readOverlay(config.stateDir) };
    } catch {
      return state;
    }
  };

  /** A change to the current state, made again on the latest cluster version if another node published first. */
  async function change(make: (current: ConfigState) => ConfigState | LiveOutcome, opts: AttemptOptions): Promise<LiveOutcome> {
    return serial(async () => {
      for (let tries = 0; ; tries++) {
        const next = make(baseOf(opts));
        const quiet = (result: LiveOutcome) => opts.dryRun === true || (opts.tentative === true && result.status === 'invalid');
        if (!('document' in next)) return record(next, quiet(next));
        const result = await attempt(next, opts);
        if (!conflicts.has(result) || tries >= 3) return record(result, quiet(result));
        await adopt(undefined);
      }
    });
  }

  let overlayUnsaved = false;
  function persistOverlay(overlay: ConfigOverlay): void {
    try {
      writeOverlay(config.stateDir, overlay);
      overlayUnsaved = false;
    } catch (error) {
      overlayUnsaved = true;
      logger.error({ err: error, stateDir: config.stateDir }, `cannot write ${OVERLAY_FILE}: changes made through the admin API are not kept across a restart`);
    }
  }

  // ---- the cluster: adopt versions published by other nodes
  async function adopt(announced: number | undefined): Promise<void> {
    if (!cluster || (announced !== undefined && announced <= version)) return;
    const stored = await cluster.read();
    if (stored === 'unavailable' || !stored || stored.version <= version) return;
    const result = await attempt({ document: stored.document, overlay: stored.overlay }, { trigger: 'cluster', guard: false, publish: false, skipIfUnchanged: false, version: stored.version });
    record(result);
    if (result.status !== 'applied') logger.error({ version: stored.version, problems: result.problems }, `the cluster's config version ${stored.version} cannot be loaded on this node; still serving version ${version}`);
  }
  function adoptClusterVersion(announced: number): Promise<void> {
    return serial(() => adopt(announced));
  }
  cluster?.onVersion((announced) => void adoptClusterVersion(announced));

  // ---- files: every input watched; a failed read is tried once more after settleMs before it is reported
  const reloadFiles = (trigger: Trigger, force = false, tentative = false): Promise<LiveOutcome> =>
    change(
      (current) => {
        let nextDocument: unknown;
        let overlay: ConfigOverlay;
        try {
          nextDocument = readConfigDocument(file);
          // The overlay file may have been written by another process sharing the state directory (a worker);
          // in a cluster the stored overlay is the one that counts.
          overlay = cluster ? current.overlay : readOverlay(stateDirOf(nextDocument, file, env));
        } catch (error) {
          return invalid(error, trigger);
        }
        return { document: nextDocument, overlay };
      },
      { trigger, guard: !config.reload.allowBreaking, force, publish: true, skipIfUnchanged: trigger === 'file', tentative },
    );
  let settleTimer: NodeJS.Timeout | undefined;
  const onFileChange = async (changed: string) => {
    clearTimeout(settleTimer);
    const first = await reloadFiles('file', false, true);
    if (first.status !== 'invalid') return report(first, changed);
    // An editor may have truncated the file and not written it yet: look again once it had time to.
    settleTimer = setTimeout(() => {
      void reloadFiles('file').then((second) => report(second, changed));
    }, config.reload.settleMs);
    settleTimer.unref();
  };
  const report = (result: LiveOutcome, changed?: string) => {
    if (result.status === 'unchanged') return;
    options.onOutcome?.(result);
    if (changed !== undefined) logger.debug({ changed }, 'watched input changed');
  };
  const overlayPath = () => resolve(config.stateDir, OVERLAY_FILE);
  const watcher: InputWatcher | undefined =
    options.watch === false
      ? undefined
      : watchInputs({
          inputs: () => {
            const inputs = inputFiles(config);
            return { files: [file, overlayPath(), ...inputs.files], directories: inputs.directories };
          },
          onChange: (changed) => void onFileChange(changed),
          debounceMs: () => config.reload.debounceMs,
        });

  // ---- sources left out (or served from a snapshot): tried again with back-off until their schema loads
  const retry = createRetry({
    pending: () => {
      const generation = gateway.current;
      const fromSnapshot = [...generation.origins].filter(([, o]) => o === 'snapshot').map(([name]) => name);
      return [...generation.missing.map((m) => m.name), ...fromSnapshot];
    },
    minMs: () => config.reload.retryMinMs,
    maxMs: () => config.reload.retryMaxMs,
    async tryOnce(names) {
      const entries = config.sources.filter((s) => names.includes(s.name));
      const loaded = await Promise.all(entries.map((entry) => loadSource(entry).then(() => true, () => false)));
      if (!loaded.some(Boolean)) return false;
      const result = await serial(() => attempt(state, { trigger: 'retry', guard: false, publish: false, skipIfUnchanged: false, version }));
      record(result);
      if (result.status === 'applied') options.onOutcome?.(result);
      return true;
    },
    logger,
  });
  retry.schedule();

  const self = (): NodeSelf => {
    const current = gateway.current;
    const down = current.config.sources.filter((s) => s.required && !current.sources.has(s.name)).map((s) => s.name);
    const health = gateway.readiness.shuttingDown ? 'shutting_down' : down.length > 0 ? `required source(s) ${down.join(', ')} not loaded` : 'ready';
    return { address, version, health };
  };

  admin = {
    sources: () =>
      config.sources.map((source) => ({
        name: source.name,
        kind: source.kind,
        origin: origin(source.name),
        schema: gateway.current.origins.get(source.name) ?? (gateway.current.missing.some((m) => m.name === source.name) ? 'missing' : 'spec'),
        entry: entryAsWritten(state, source.name) ?? source,
      })),
    putSource: (name, entry, { force }) =>
      change((current) => ({ ...current, overlay: { ...current.overlay, sources: { ...current.overlay.sources, [name]: { ...(entry as Record<string, unknown>), name } } } }), {
        trigger: 'api',
        guard: true,
        force,
        publish: true,
        skipIfUnchanged: true,
        mustLoad: [name],
      }).then((result) => locate(result, name, composedIndex({ ...state, overlay: { ...state.overlay, sources: { ...state.overlay.sources, [name]: {} } } }, name))),
    deleteSource: (name, { force }) =>
      change(
        (current) => {
          if (!config.sources.some((s) => s.name === name)) return outcome('not-found', 'api', { message: `unknown source "${name}"` });
          const sources = { ...current.overlay.sources };
          if (inDocument(current.document, name)) sources[name] = null;
          else delete sources[name];
          return { ...current, overlay: { ...current.overlay, sources } };
        },
        { trigger: 'api', guard: true, force, publish: true, skipIfUnchanged: true },
      ),
    putLinks: (sdl, { force }) =>
      change((current) => ({ ...current, overlay: { ...current.overlay, links: sdl } }), { trigger: 'api', guard: true, force, publish: true, skipIfUnchanged: true }),
    schema: () => printSchema(gateway.current.schema),
    async diff(proposed: ProposedChange) {
      if ('sdl' in proposed) {
        try {
          return outcome('unchanged', 'api', { changes: await diffSchemas(gateway.current.schema, buildSchema(proposed.sdl)) });
        } catch (error) {
          return outcome('invalid', 'api', { message: error instanceof Error ? error.message : String(error) });
        }
      }
      const overlayOf = (current: ConfigState): ConfigOverlay => {
        if ('put' in proposed) return { ...current.overlay, sources: { ...current.overlay.sources, [proposed.put.name]: { ...(proposed.put.entry as Record<string, unknown>), name: proposed.put.name } } };
        if ('delete' in proposed) return { ...current.overlay, sources: { ...current.overlay.sources, [proposed.delete]: null } };
        return { ...current.overlay, links: proposed.links };
      };
      const dry = await change((current) => ({ ...current, overlay: overlayOf(current) }), { trigger: 'api', guard: false, publish: false, skipIfUnchanged: false, dryRun: true });
      return 'put' in proposed ? locate(dry, proposed.put.name, composedIndex({ ...state, overlay: overlayOf(state) }, proposed.put.name)) : dry;
    },
    reload: ({ force }) => {
      // With workers, the others reload too (the primary passes it on): one POST reloads the machine, as SIGHUP.
      options.worker?.send({ channel: WORKERS_CHANNEL, type: 'reload', force });
      return reloadFiles('api', force);
    },
    async cluster(): Promise<ClusterView> {
      if (!cluster) {
        const me = self();
        return { mode: 'off', self: 'local', nodes: [{ id: 'local', address: me.address, version: me.version, startedAt: startedAt.toISOString(), uptimeSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000), health: me.health, lastSeen: new Date().toISOString(), stale: false }] };
      }
      return cluster.view(self());
    },
    status: () => ({
      version,
      lastOutcome,
      cluster: cluster ? { mode: cluster.connected ? 'connected' : 'unreachable', node: cluster.nodeId } : { mode: 'off' },
      retrying: retry.status(),
      stateDir: config.stateDir,
    }),
  };
  const startedAt = new Date();
  let stopped = false;
  const stopRelay = options.worker?.onMessage((message) => {
    if (!isChannelMessage(message, WORKERS_CHANNEL, 'reload')) return;
    void reloadFiles('api', message['force'] === true).then((result) => report(result));
  });

  async function stop(): Promise<void> {
    if (stopped) return;
    stopped = true;
    stopRelay?.();
    watcher?.[Symbol.dispose]();
    clearTimeout(settleTimer);
    retry.stop();
    await cluster?.leave();
  }

  return {
    gateway,
    admin,
    get version() {
      return version;
    },
    get lastOutcome() {
      return lastOutcome;
    },
    reload: (trigger, reloadOptions = {}) => reloadFiles(trigger, reloadOptions.force ?? false),
    listening(listeningAt) {
      address = config.cluster.advertise ?? listeningAt;
      cluster?.start(self);
    },
    stop,
    async [Symbol.asyncDispose]() {
      await stop();
      await queue;
      await gateway[Symbol.asyncDispose]();
      await cluster?.[Symbol.asyncDispose]();
    },
  };
}

/** Whether the config file's own document has a source of that name. */
function inDocument(document: unknown, name: string): boolean {
  const sources = (document as { sources?: unknown } | null)?.sources;
  return Array.isArray(sources) && sources.some((s) => (s as { name?: unknown } | null)?.name === name);
}

/** A source's entry as it was written (in the file or sent to the API), before defaults and interpolation. */
function entryAsWritten(state: ConfigState, name: string): unknown {
  const put = state.overlay.sources[name];
  if (put) return put;
  const sources = (state.document as { sources?: unknown } | null)?.sources;
  return Array.isArray(sources) ? sources.find((s) => (s as { name?: unknown } | null)?.name === name) : undefined;
}

/** The index a source has in the config composed from `state` (the file's entries first, then those added). */
function composedIndex(state: ConfigState, name: string): number {
  const base = (state.document as { sources?: unknown } | null)?.sources;
  const names = (Array.isArray(base) ? base : []).map((s) => (s as { name?: unknown } | null)?.name).filter((n) => state.overlay.sources[n as string] !== null);
  for (const [added, entry] of Object.entries(state.overlay.sources)) if (entry && !names.includes(added)) names.push(added);
  return names.indexOf(name);
}

/**
 * Problems of a PUT located in its body: `sources[3].endpoints[0]` of the composed config is `endpoints[0]` of the
 * entry sent, and a problem in an inline spec names the key it came in; both in the "file" `PUT
 * /admin/api/sources/<name>`. Problems elsewhere (a link that no longer resolves) keep their file and key.
 */
function locate(result: LiveOutcome, name: string, index: number): LiveOutcome {
  if (!result.problems || index < 0) return result;
  const label = `PUT /admin/api/sources/${name}`;
  const prefix = `sources[${index}]`;
  const inline = `sources.${name}.`;
  const problems: Problem[] = result.problems.map((p) => {
    if (p.at === prefix || p.at.startsWith(`${prefix}.`) || p.at.startsWith(`${prefix}[`)) return { ...p, file: label, at: p.at.slice(prefix.length).replace(/^\./, '') };
    if (p.file.startsWith(inline)) return { ...p, file: label, at: `${p.file.slice(inline.length)}${p.at ? ` ${p.at}` : ''}` };
    return p;
  });
  return { ...result, problems };
}

interface RetryOptions {
  /** Sources to try again now (left out, or served from a snapshot). */
  pending: () => string[];
  minMs: () => number;
  maxMs: () => number;
  /** Tries the pending sources once; true when at least one loaded (and a reload followed). */
  tryOnce: (names: string[]) => Promise<boolean>;
  logger: Logger;
}

/** Background tries with back-off (doubling from minMs to maxMs) while some source waits for its schema. */
function createRetry(options: RetryOptions) {
  let timer: NodeJS.Timeout | undefined;
  let delay = 0;
  let nextAt: number | undefined;
  let stopped = false;
  let running = false;
  const run = async () => {
    timer = undefined;
    nextAt = undefined;
    const names = options.pending();
    if (stopped || names.length === 0) return;
    running = true;
    let loaded = false;
    try {
      loaded = await options.tryOnce(names);
    } catch (error) {
      options.logger.warn({ err: error }, 'retrying sources failed');
    } finally {
      running = false;
    }
    delay = loaded ? 0 : Math.min(delay * 2, options.maxMs());
    schedule();
  };
  function schedule(): void {
    if (stopped || timer || running || options.pending().length === 0) return;
    delay = Math.max(delay, options.minMs());
    nextAt = Date.now() + delay;
    timer = setTimeout(() => void run(), delay);
    timer.unref();
  }
  return {
    schedule,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
    status: () => ({ sources: options.pending(), nextTryAt: nextAt === undefined ? null : new Date(nextAt).toISOString() }),
  };
}

