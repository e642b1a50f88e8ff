import { connect } from 'node:net';
import type { Generation } from '../gateway/generation.js';
import type { Reachability } from '../observability/reachability.js';
import { endpointUrls } from '../sources/endpoints.js';

/** One source as `/readyz` reports it. */
export interface SourceReadiness {
  readonly name: string;
  readonly required: boolean;
  /** `loaded`, or `missing` when its schema could not be loaded (it is retried in the background). */
  readonly schema: 'loaded' | 'missing';
  /** Whether it is reachable now (only judged for `required: true` sources, null for the others). */
  readonly reachable: boolean | null;
  readonly circuit: string | null;
  /** ISO time of its last answer (call, health check or probe), if any. */
  readonly lastAnswer: string | null;
  readonly reason?: string;
}

/** The body of `/readyz`. */
export interface ReadinessReport {
  readonly ready: boolean;
  /** Why not, one line each; empty when ready. */
  readonly reasons: readonly string[];
  readonly shuttingDown: boolean;
  readonly version: number;
  readonly sources: readonly SourceReadiness[];
}

export interface ReadinessOptions {
  /** The generation serving now, and the config version it serves. */
  current: () => { generation: Generation; version: number };
  reachability: Reachability;
  /** Milliseconds a TCP probe may take. Default 1000. */
  probeTimeoutMs?: number;
  /** Default Date.now. */
  now?: () => number;
}

export interface Readiness {
  /** True from SIGTERM on: `/readyz` answers 503 at once. */
  readonly shuttingDown: boolean;
  beginShutdown(): void;
  /** Judges readiness now, probing the required sources that have not answered within `server.readinessProbeMs`. */
  report(): Promise<ReadinessReport>;
}

/**
 * `/readyz`: ready when a generation serves and the node is not shutting down, and every `required: true` source
 * is reachable: loaded, its breaker not open, and an answer (a call, a health check, or a probe made here) within
 * `server.readinessProbeMs`. Probes are made on demand when `/readyz` is asked and nothing recent is known, so an
 * idle gateway needs no traffic to become ready; a probe is a TCP connection to each endpoint (any kind of source,
 * no request the backend must understand), concurrent asks share it.
 */
export function createReadiness(options: ReadinessOptions): Readiness {
  const now = options.now ?? Date.now;
  const probeTimeoutMs = options.probeTimeoutMs ?? 1000;
  const probing = new Map<string, Promise<void>>();
  let shuttingDown = false;

  function probe(source: string, endpoints: readonly string[]): Promise<void> {
    let pending = probing.get(source);
    if (!pending) {
      pending = Promise.all(endpoints.map((endpoint) => tcpProbe(endpoint, probeTimeoutMs)))
        .then((results) => options.reachability.record(source, results.some(Boolean), now()))
        .finally(() => probing.delete(source));
      probing.set(source, pending);
    }
    return pending;
  }

  return {
    get shuttingDown() {
      return shuttingDown;
    },
    beginShutdown() {
      shuttingDown = true;
    },
    async report() {
      const { generation, version } = options.current();
      const windowMs = generation.config.server.readinessProbeMs;
      const recent = (source: string) => {
        const at = options.reachability.lastAnswer(source);
        return at !== undefined && now() - at <= windowMs;
      };
      const required = generation.config.sources.filter((s) => s.required === true);
      await Promise.all(
        required.filter((s) => generation.sources.has(s.name) && !recent(s.name)).map((s) => probe(s.name, endpointUrls(s))),
      );
      const reasons: string[] = [];
      if (shuttingDown) reasons.push('shutting down');
      // No schema to run on: every GraphQL request would be refused (503), so take no traffic either.
      if (generation.sources.size === 0 && generation.config.sources.length > 0) reasons.push('no source has loaded yet');
      const sources = generation.config.sources.map((config): SourceReadiness => {
        const runtime = generation.sources.get(config.name);
        const circuit = runtime?.resilience().circuit ?? null;
        const last = options.reachability.lastAnswer(config.name);
        const base = { name: config.name, required: config.required === true, circuit, lastAnswer: last === undefined ? null : new Date(last).toISOString() };
        if (!runtime) {
          // /readyz answers anyone: why the schema did not load (a spec URL with its query string, a snapshot
          // file's path, an endpoint) is told only behind the admin token (`missingSources` in the status).
          const reason = 'schema not loaded (see missingSources in /admin/api/status)';
          if (config.required) reasons.push(`required source ${config.name}: ${reason}`);
          return { ...base, schema: 'missing', reachable: config.required ? false : null, reason };
        }
        if (!config.required) return { ...base, schema: 'loaded', reachable: null };
        const reason = circuit === 'open' ? 'its circuit breaker is open' : !recent(config.name) ? `no answer within ${windowMs} ms` : undefined;
        if (reason) reasons.push(`required source ${config.name}: ${reason}`);
        return { ...base, schema: 'loaded', reachable: reason === undefined, ...(reason ? { reason } : {}) };
      });
      return { ready: reasons.length === 0, reasons, shuttingDown, version, sources };
    },
  };
}

/** Whether a TCP connection to the endpoint's host and port opens within `timeoutMs`. */
function tcpProbe(endpoint: string, timeoutMs: number): Promise<boolean> {
  const target = hostAndPort(endpoint);
  if (!target) return Promise.resolve(false);
  return new Promise((resolve) => {
    const socket = connect({ host: target.host, port: target.port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** `http://host:port/path` or a gRPC target `host:port` / `dns:///host:port`. */
function hostAndPort(endpoint: string): { host: string; port: number } | undefined {
  if (/^https?:\/\//i.test(endpoint)) {
    const url = new URL(endpoint);
    return { host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80 };
  }
  const match = /^(?:dns:\/\/\/)?\[?([^\]/]+?)\]?:(\d+)$/.exec(endpoint);
  return match ? { host: match[1]!, port: Number(match[2]) } : undefined;
}
