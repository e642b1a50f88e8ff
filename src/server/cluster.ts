import { hostname } from 'node:os';
import type { ClusterNodeView, ClusterView } from '../admin/live-routes.js';
import { overlayFrom, type ConfigOverlay } from '../config/overlay.js';
import { parseSnapshot, type SchemaSnapshots } from '../gateway/schema-snapshots.js';
import type { Logger } from '../observability/logger.js';

/**
 * The nodes of a cluster stay in step through one Redis (`cluster.redis`):
 *  - `interchange:cluster:config` (a hash: `version`, `digest`, `document`, `overlay`, `at`, `node`) holds the
 *    config version every node serves: the config file's document and the admin API's overlay;
 *  - a change applied on any node is published there by a compare-and-set (Lua, so two nodes publishing at once
 *    cannot both win) and announced on the channel `interchange:cluster:changes`;
 *  - every node heartbeats into `interchange:cluster:nodes` (id → its version, address, health, last seen) and
 *    reads the stored version on each beat too, so an announcement missed while disconnected is caught up;
 *  - schema snapshots are kept in `interchange:snapshot:<source>`.
 * A node that cannot reach Redis keeps serving the version it has and says so (`mode: unreachable`); the client
 * reconnects by itself.
 */
export interface ClusterRecord {
  readonly version: number;
  readonly digest: string;
  readonly document: unknown;
  readonly overlay: ConfigOverlay;
  /** Epoch ms it was published, and by which node. */
  readonly at: number;
  readonly node: string;
}

export type PublishResult =
  /** Stored as `version` (or, with `same`, an equal state was already stored under it). */
  | { readonly status: 'published' | 'same'; readonly version: number }
  /** Another node published `version` since the one this change was made on: adopt it and try again. */
  | { readonly status: 'conflict'; readonly version: number }
  | { readonly status: 'unavailable'; readonly reason: string };

/** What a node says about itself in each heartbeat. */
export interface NodeSelf {
  readonly address: string;
  readonly version: number;
  readonly health: string;
}

export interface Cluster extends AsyncDisposable {
  readonly url: string;
  readonly nodeId: string;
  /** Whether commands reach Redis now. */
  readonly connected: boolean;
  /** The stored version; undefined when none is stored yet, `unavailable` when Redis cannot be asked. */
  read(): Promise<ClusterRecord | undefined | 'unavailable'>;
  /** Stores a new version if the stored one is still `basedOn` (0: none stored yet) and announces it. */
  publish(state: { document: unknown; overlay: ConfigOverlay; digest: string }, basedOn: number): Promise<PublishResult>;
  /** Called with the version of every announcement, and of the stored version when a heartbeat finds it newer. */
  onVersion(listener: (version: number) => void): void;
  /** Starts the heartbeat with what `self` says at each beat. */
  start(self: () => NodeSelf): void;
  view(self: NodeSelf): Promise<ClusterView>;
  /** Schema snapshots shared by the nodes. */
  readonly snapshots: SchemaSnapshots;
  /** Stops the heartbeat and removes this node from the listing (shutdown). */
  leave(): Promise<void>;
}

export interface ClusterOptions {
  url: string;
  /** Default `<hostname>-<pid>`. */
  nodeId?: string | undefined;
  /** Milliseconds between heartbeats. Default 2000. */
  heartbeatMs?: number;
  logger: Logger;
  /** Milliseconds the first connection may take before the node starts without the cluster's version. Default 2000. */
  connectTimeoutMs?: number;
}

const CONFIG_KEY = 'interchange:cluster:config';
const NODES_KEY = 'interchange:cluster:nodes';
const CHANNEL = 'interchange:cluster:changes';
const SNAPSHOT_PREFIX = 'interchange:snapshot:';

/**
 * Compare-and-set of the stored version: an equal digest is not a new version; a version moved on since `basedOn`
 * is a conflict; otherwise the version goes up by one, the state is stored and announced. Returns
 * `{ outcome, version }` with outcome 1 = published, 0 = same, -1 = conflict.
 */
const PUBLISH_SCRIPT = `
local current = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if current > 0 and redis.call('HGET', KEYS[1], 'digest') == ARGV[1] then return {0, current} end
if current ~= tonumber(ARGV[2]) then return {-1, current} end
local version = current + 1
redis.call('HSET', KEYS[1], 'version', version, 'digest', ARGV[1], 'document', ARGV[3], 'overlay', ARGV[4], 'at', ARGV[5], 'node', ARGV[6])
redis.call('PUBLISH', KEYS[2], version)
return {1, version}
`;

type RedisClient = ReturnType<typeof import('@redis/client').createClient>;

export async function joinCluster(options: ClusterOptions): Promise<Cluster> {
  const { createClient } = await import('@redis/client');
  const { logger } = options;
  const nodeId = options.nodeId ?? `${hostname()}-${process.pid}`;
  const heartbeatMs = options.heartbeatMs ?? 2000;
  // Commands fail at once while Redis is away instead of queueing: a node never waits on the cluster to serve.
  const clientOptions = { url: options.url, disableOfflineQueue: true, socket: { connectTimeout: 1000, reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 2000) } };
  const client: RedisClient = createClient(clientOptions);
  const subscriber: RedisClient = createClient(clientOptions);
  let lastErrorLog = 0;
  const onError = (err: unknown) => {
    // One line per 10 s at most while Redis is away.
    if (Date.now() - lastErrorLog > 10_000) {
      lastErrorLog = Date.now();
      logger.warn({ err, redis: options.url }, 'the cluster Redis is unreachable; serving the current config version');
    }
  };
  client.on('error', onError);
  subscriber.on('error', onError);
  const listeners: ((version: number) => void)[] = [];
  const announce = (version: number) => {
    for (const listener of listeners) listener(version);
  };
  // connect() keeps retrying while Redis is down: wait a moment for it, then go on and let it connect later.
  const connected = Promise.all([
    client.connect(),
    subscriber.connect().then(() => subscriber.subscribe(CHANNEL, (message) => announce(Number(message)))),
  ]).catch((err: unknown) => onError(err));
  await Promise.race([connected, new Promise((resolve) => setTimeout(resolve, options.connectTimeoutMs ?? 2000).unref())]);

  let heartbeat: NodeJS.Timeout | undefined;
  const startedAt = Date.now();
  const asError = (error: unknown) => (error instanceof Error ? error.message : String(error));

  async function read(): Promise<ClusterRecord | undefined | 'unavailable'> {
    try {
      const fields = await client.hGetAll(CONFIG_KEY);
      if (!fields['version']) return undefined;
      return {
        version: Number(fields['version']),
        digest: fields['digest'] ?? '',
        document: JSON.parse(fields['document'] ?? 'null') as unknown,
        overlay: overlayFrom(JSON.parse(fields['overlay'] ?? 'null') as unknown),
        at: Number(fields['at'] ?? 0),
        node: fields['node'] ?? '',
      };
    } catch (error) {
      onError(error);
      return 'unavailable';
    }
  }

  async function beat(self: NodeSelf): Promise<void> {
    try {
      await client.hSet(NODES_KEY, nodeId, JSON.stringify({ id: nodeId, ...self, startedAt, lastSeen: Date.now() }));
      const stored = Number((await client.hGet(CONFIG_KEY, 'version')) ?? 0);
      if (stored > self.version) announce(stored);
      // Nodes gone for ten heartbeats without leaving (killed) are dropped from the listing.
      const all = await client.hGetAll(NODES_KEY);
      const gone = Object.entries(all).filter(([, value]) => Date.now() - (parseNode(value)?.lastSeen ?? 0) > 10 * heartbeatMs).map(([id]) => id);
      if (gone.length > 0) await client.hDel(NODES_KEY, gone);
    } catch (error) {
      onError(error);
    }
  }

  return {
    url: options.url,
    nodeId,
    get connected() {
      return client.isReady;
    },
    read,
    async publish(state, basedOn) {
      try {
        const reply = (await client.eval(PUBLISH_SCRIPT, {
          keys: [CONFIG_KEY, CHANNEL],
          arguments: [state.digest, String(basedOn), JSON.stringify(state.document), JSON.stringify(state.overlay), String(Date.now()), nodeId],
        })) as [number, number];
        const [outcome, version] = reply.map(Number) as [number, number];
        return outcome === 1 ? { status: 'published', version } : outcome === 0 ? { status: 'same', version } : { status: 'conflict', version };
      } catch (error) {
        onError(error);
        return { status: 'unavailable', reason: asError(error) };
      }
    },
    onVersion(listener) {
      listeners.push(listener);
    },
    start(self) {
      void beat(self());
      heartbeat = setInterval(() => void beat(self()), heartbeatMs);
      heartbeat.unref();
    },
    async view(self) {
      const record = client.isReady ? await read() : 'unavailable';
      let nodes: ClusterNodeView[] = [];
      try {
        const all = await client.hGetAll(NODES_KEY);
        nodes = Object.values(all).flatMap((value) => {
          const node = parseNode(value);
          if (!node) return [];
          return [
            {
              id: node.id,
              address: node.address,
              version: node.version,
              startedAt: new Date(node.startedAt).toISOString(),
              uptimeSeconds: Math.round((Date.now() - node.startedAt) / 1000),
              health: node.health,
              lastSeen: new Date(node.lastSeen).toISOString(),
              stale: Date.now() - node.lastSeen > 3 * heartbeatMs,
            },
          ];
        });
      } catch (error) {
        onError(error);
        const now = Date.now();
        nodes = [{ id: nodeId, address: self.address, version: self.version, startedAt: new Date(startedAt).toISOString(), uptimeSeconds: Math.round((now - startedAt) / 1000), health: self.health, lastSeen: new Date(now).toISOString(), stale: false }];
      }
      return {
        mode: record === 'unavailable' ? 'unreachable' : 'connected',
        redis: redactedUrl(options.url),
        self: nodeId,
        ...(record !== 'unavailable' && record ? { clusterVersion: record.version } : {}),
        nodes: nodes.sort((a, b) => a.id.localeCompare(b.id)),
      };
    },
    snapshots: {
      async get(source) {
        try {
          return parseSnapshot(await client.get(SNAPSHOT_PREFIX + source), `the snapshot in Redis at ${SNAPSHOT_PREFIX}${source}`);
        } catch {
          return undefined;
        }
      },
      async put(source, snapshot) {
        try {
          await client.set(SNAPSHOT_PREFIX + source, JSON.stringify(snapshot));
        } catch (error) {
          onError(error);
        }
      },
    },
    async leave() {
      clearInterval(heartbeat);
      if (client.isReady) await client.hDel(NODES_KEY, nodeId).catch(() => undefined);
    },
    async [Symbol.asyncDispose]() {
      clearInterval(heartbeat);
      for (const redis of [subscriber, client]) {
        try {
          if (redis.isOpen) await redis.close();
          else redis.destroy();
        } catch {
          redis.destroy();
        }
      }
    },
  };
}

interface StoredNode {
  id: string;
  address: string;
  version: number;
  health: string;
  startedAt: number;
  lastSeen: number;
}

function parseNode(value: string): StoredNode | undefined {
  try {
    const node = JSON.parse(value) as Partial<StoredNode>;
    return typeof node.id === 'string' && typeof node.lastSeen === 'number' ? (node as StoredNode) : undefined;
  } catch {
    return undefined;
  }
}

/** The URL without its password, for the admin API. */
function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'redis://(unparsable)';
  }
}
