import { z } from 'zod';

/**
 * The config sections of live operation (issue 13): how reloads are guarded and retried, where local state is
 * kept, how nodes of a cluster find each other, and how a node shuts down. `schema.ts` spreads them in.
 */

const ms = z.number().int().nonnegative();

export const reloadSchema = z
  .strictObject({
    /**
     * Accept a change of the config file (or of a file it names) that removes or changes what clients use (a
     * breaking change of the schema). With `false` such an edit is refused, listing its breaking changes, like a
     * change through the admin API without `?force=true`. Default true.
     */
    allowBreaking: z.boolean().default(true),
    /** Milliseconds of quiet after the last change of a watched file before it is reloaded (an editor's save is several events). Default 200. */
    debounceMs: ms.default(200),
    /**
     * Milliseconds before a failed reload of a watched file is tried once more before it is reported: an editor
     * that truncates a file and then writes it is read in between. Default 500.
     */
    settleMs: ms.default(500),
    /** First wait (ms) before a source whose schema could not be fetched is tried again; doubles per try. Default 1000. */
    retryMinMs: z.number().int().positive().default(1000),
    /** Longest wait (ms) between two tries of such a source. Default 60000. */
    retryMaxMs: z.number().int().positive().default(60_000),
  })
  .prefault({});

export const clusterSchema = z
  .strictObject({
    /**
     * Redis shared by the nodes of a cluster: the config version, its announcements (pub/sub), the nodes'
     * heartbeats and schema snapshots live there. `off` keeps the node alone. Default: `cache.store` when that is
     * a `redis://` URL, else off. Read at start.
     */
    redis: z.string().regex(/^(off|rediss?:\/\/.+)$/, 'must be "off" or a redis:// URL').optional(),
    /** This node's id in `GET /admin/api/cluster`. Default: `<hostname>-<pid>`. Read at start. */
    // '' counts as unset, so `nodeId: ${NODE_ID:-}` takes the default when the variable is not set.
    nodeId: z.preprocess((v) => (v === '' ? undefined : v), z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1-128 of A-Z a-z 0-9 . _ : -').optional()),
    /** The address other nodes and operators see for this node. Default: its listening URL. Read at start. */
    advertise: z.string().min(1).optional(),
    /** Milliseconds between two heartbeats; a node not seen for 3 heartbeats is listed as `stale`, after 10 it is dropped. Default 2000. */
    heartbeatMs: z.number().int().min(100).default(2000),
  })
  .prefault({});

export const liveRootFields = {
  reload: reloadSchema,
  /**
   * Local state: schema snapshots of sources whose schema is fetched (introspection, reflection, a spec URL),
   * specs sent inline through the admin API, and `registered.yaml`, the sources and links changed through the
   * admin API (read with the config at every load, so a restart keeps them). Relative to the config file. Default
   * `.interchange`. Read at start.
   */
  stateDir: z.string().min(1).default('.interchange'),
  cluster: clusterSchema,
};

export const serverLiveFields = {
  /**
   * Milliseconds between SIGTERM and closing the listener: `/readyz` answers 503 at once and requests are still
   * accepted meanwhile, so load balancers stop sending traffic first. Match a Kubernetes preStop to it. Default 5000.
   */
  shutdownGraceMs: ms.default(5000),
  /** Milliseconds in-flight requests and streams get to finish after the listener closed; then they are cut. Default 30000. */
  shutdownTimeoutMs: ms.default(30_000),
  /**
   * A source with `required: true` counts as reachable for `/readyz` when a call or active health check of it
   * succeeded within this many milliseconds; without one, the gateway probes it (a TCP connection to each
   * endpoint) this often. Default 10000.
   */
  readinessProbeMs: z.number().int().positive().default(10_000),
};
