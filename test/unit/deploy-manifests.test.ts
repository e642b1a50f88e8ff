import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { DEMO_CONFIG } from '../../src/cli/demo.js';
import { parseConfigText } from '../helpers/config-text.js';
import { DEMO_DEFAULT_PORTS } from '../../src/demo/index.js';
import { createInMemoryDemo } from '../helpers/in-memory-demo.js';

/**
 * No Docker or Kubernetes runs here: the Dockerfile, docker-compose.yml and deploy/kubernetes/ are checked against
 * the project instead. Every command they run is a file the build makes from a source that exists, every port is
 * the one the config or the demo listens on, every probe path is one the gateway answers, every variable the
 * config reads is set (and every variable set is read), every file the config names exists in the image.
 */
const root = join(import.meta.dirname, '..', '..');
const read = (file: string) => readFileSync(join(root, file), 'utf8');
/** `${VAR}` / `${VAR:-x}` names a config text reads. */
const variablesOf = (text: string) => new Set([...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}/g)].map((m) => m[1]!));
/** Variables the gateway or the demo backends read from the environment themselves. */
const PROCESS_VARIABLES = new Set(['PORT', 'LOG_LEVEL', 'NODE_ENV', 'DEMO_HOST', 'DEMO_LATENCY_MS', 'INVENTORY_PORT', 'LOGISTICS_PORT', 'ORDERS_PORT', 'REVIEWS_PORT']);

/** A `node dist/x.js ...` command: the compiled file comes from `src/x.ts`. */
function checkNodeCommand(command: readonly string[]): void {
  expect(command[0]).toBe('node');
  const script = command[1]!;
  expect(script).toMatch(/^dist\/.+\.js$/);
  expect(existsSync(join(root, script.replace(/^dist\//, 'src/').replace(/\.js$/, '.ts'))), `${script} is built from a source that exists`).toBe(true);
  if (script === 'dist/cli/main.js') expect(['serve', 'check', 'demo']).toContain(command[2]);
}

/** The gateway's HTTP surface answers these, through the whole plugin stack. */
async function answeredPaths(): Promise<Map<string, number>> {
  await using demo = await createInMemoryDemo();
  const out = new Map<string, number>();
  for (const path of ['/healthz', '/readyz']) out.set(path, (await demo.gateway.fetch(`http://gateway${path}`)).status);
  return out;
}

describe('the Dockerfile', () => {
  const text = read('Dockerfile');
  const stages = text.split(/^FROM /m).slice(1);

  it('builds in one stage and runs dist/ with production dependencies only, as a non-root user, in another', () => {
    expect(stages.length).toBe(2);
    const [build, runtime] = stages as [string, string];
    expect(build).toMatch(/tsc -p tsconfig\.build\.json/);
    expect(runtime).toMatch(/npm ci --omit=dev/);
    expect(runtime).toMatch(/COPY --from=build \/app\/dist \.\/dist/);
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).not.toMatch(/tsx/);
    const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    expect(Object.keys(pkg.dependencies)).not.toContain('tsx');
    expect(Object.keys(pkg.devDependencies)).toContain('tsx');
  });

  it('copies files that exist, runs a command that is built, and checks a path the gateway answers on the port it listens on', async () => {
    for (const [, from] of text.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) for (const file of from!.split(' ')) expect(existsSync(join(root, file)), file).toBe(true);
    const cmd = JSON.parse(/^CMD (\[.+\])$/m.exec(text)![1]!) as string[];
    checkNodeCommand(cmd);
    expect(existsSync(join(root, cmd[4]!))).toBe(true);
    const port = Number(/^EXPOSE (\d+)$/m.exec(text)![1]);
    expect(port).toBe((parseYaml(read('interchange.yaml')) as { server: { port: number } }).server.port);
    const health = /HEALTHCHECK[\s\S]+?http:\/\/127\.0\.0\.1:(\d+)(\/\w+)/.exec(text)!;
    expect(Number(health[1])).toBe(port);
    expect((await answeredPaths()).get(health[2]!)).toBe(200);
  });
});

describe('docker-compose.yml', () => {
  const compose = parseYaml(read('docker-compose.yml'), { merge: true }) as {
    services: Record<string, { build?: string; image?: string; command?: string[]; environment?: Record<string, string>; ports?: string[]; volumes?: string[]; healthcheck?: { test: string[] }; depends_on?: Record<string, { condition: string }> }>;
    volumes?: Record<string, unknown>;
  };
  const services = compose.services;
  const gateways = Object.entries(services).filter(([, s]) => s.command?.includes('serve'));

  it('runs redis, the demo backends and two gateway nodes from the image, with health checks and no install at start', () => {
    expect(Object.keys(services).sort()).toEqual(['backends', 'gateway-a', 'gateway-b', 'redis']);
    expect(gateways.map(([name]) => name).sort()).toEqual(['gateway-a', 'gateway-b']);
    for (const [name, service] of Object.entries(services)) {
      expect(service.healthcheck, `${name} has a health check`).toBeDefined();
      expect(JSON.stringify(service.command ?? [])).not.toMatch(/npm (ci|install)|tsx/);
      // Nothing of the checkout is mounted: named volumes only.
      for (const volume of service.volumes ?? []) expect(Object.keys(compose.volumes ?? {})).toContain(volume.split(':')[0]);
      if (name !== 'redis') {
        expect(service.build).toBe('.');
        checkNodeCommand(service.command!);
      }
    }
    for (const [, gateway] of gateways) expect(gateway.depends_on).toEqual({ redis: { condition: 'service_healthy' }, backends: { condition: 'service_healthy' } });
  });

  it('sets every variable the config reads and reads every variable it sets; ports and probes match what listens', async () => {
    const config = read('interchange.yaml');
    const read_ = variablesOf(config);
    const answered = await answeredPaths();
    const port = (parseYaml(config) as { server: { port: number } }).server.port;
    for (const [name, gateway] of gateways) {
      const env = gateway.environment!;
      for (const variable of Object.keys(env)) expect(read_.has(variable) || PROCESS_VARIABLES.has(variable), `${name} sets ${variable}, which nothing reads`).toBe(true);
      for (const variable of ['INVENTORY_URL', 'LOGISTICS_URL', 'ORDERS_ADDRESS', 'REVIEWS_URL', 'CACHE_STORE', 'STATE_DIR', 'ADMIN_TOKEN']) expect(env[variable], `${name} sets ${variable}`).toBeDefined();
      // The backends' addresses are the demo's own ports on the backends service.
      expect(env['INVENTORY_URL']).toBe(`http://backends:${DEMO_DEFAULT_PORTS.inventory}`);
      expect(env['LOGISTICS_URL']).toBe(`http://backends:${DEMO_DEFAULT_PORTS.logistics}`);
      expect(env['ORDERS_ADDRESS']).toBe(`backends:${DEMO_DEFAULT_PORTS.orders}`);
      expect(env['REVIEWS_URL']).toBe(`http://backends:${DEMO_DEFAULT_PORTS.reviews}/graphql`);
      expect(env['CACHE_STORE']).toBe('redis://redis:6379');
      expect(gateway.ports!.map((p) => Number(p.split(':')[1]))).toEqual([port]);
      const probe = /http:\/\/127\.0\.0\.1:(\d+)(\/\w+)/.exec(gateway.healthcheck!.test.join(' '))!;
      expect(Number(probe[1])).toBe(port);
      expect(answered.get(probe[2]!)).toBe(200);
      // The config the gateways run validates with the variables compose gives them.
      expect(() => parseConfigText(config, DEMO_CONFIG, env)).not.toThrow();
    }
    const backendsProbe = /http:\/\/127\.0\.0\.1:(\d+)(\/\w+)/.exec(services['backends']!.healthcheck!.test.join(' '))!;
    expect(Number(backendsProbe[1])).toBe(DEMO_DEFAULT_PORTS.inventory);
    expect(backendsProbe[2]).toBe('/healthz');
    expect(read('src/demo/backend.ts')).toContain("url.pathname === '/healthz'");
    expect(services['backends']!.environment!['DEMO_HOST']).toBe('0.0.0.0');
  });
});

describe('deploy/kubernetes', () => {
  type Doc = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string> }; spec?: Record<string, unknown>; data?: Record<string, string> };
  const dir = join(root, 'deploy', 'kubernetes');
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
  const docs: Doc[] = files.filter((f) => f !== 'kustomization.yaml').flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJS() as Doc));
  const find = (kind: string, name: string) => {
    const doc = docs.find((d) => d.kind === kind && d.metadata.name === name);
    expect(doc, `${kind} ${name}`).toBeDefined();
    return doc!;
  };
  type Container = { name: string; image: string; args?: string[]; ports: { name: string; containerPort: number }[]; env?: { name: string; value?: string; valueFrom?: unknown }[]; readinessProbe?: { httpGet?: { path: string; port: string }; exec?: unknown }; livenessProbe?: { httpGet: { path: string; port: string } }; lifecycle?: { preStop: { exec: { command: string[] } } }; volumeMounts?: { name: string; mountPath: string }[] };
  type PodSpec = { terminationGracePeriodSeconds?: number; containers: Container[]; volumes?: { name: string; configMap?: { name: string } }[] };
  const podOf = (deployment: Doc) => (deployment.spec as { template: { metadata: { labels: Record<string, string> }; spec: PodSpec } }).template;
  const gateway = find('Deployment', 'interchange');
  const pod = podOf(gateway);
  const container = pod.spec.containers[0]!;
  const configMap = find('ConfigMap', 'interchange-config');
  const configText = configMap.data!['interchange.yaml']!;
  const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value ?? `from-${e.name.toLowerCase()}`]));

  it('lists every manifest in the kustomization, and has the kinds the issue asks for', () => {
    const kustomization = parseYaml(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
    expect([...kustomization.resources].sort()).toEqual(files.filter((f) => f !== 'kustomization.yaml').sort());
    const kinds = new Set(docs.map((d) => d.kind));
    for (const kind of ['Deployment', 'ConfigMap', 'Service', 'HorizontalPodAutoscaler', 'PodDisruptionBudget']) expect(kinds.has(kind), kind).toBe(true);
    find('Deployment', 'interchange-redis');
    find('Service', 'interchange-redis');
  });

  it('runs the built CLI on the mounted ConfigMap, which validates with the variables the Deployment sets', () => {
    checkNodeCommand(container.args!);
    const configPath = container.args![container.args!.indexOf('--config') + 1]!;
    const mount = container.volumeMounts!.find((m) => configPath.startsWith(`${m.mountPath}/`))!;
    const volume = pod.spec.volumes!.find((v) => v.name === mount.name)!;
    expect(volume.configMap?.name).toBe(configMap.metadata.name);
    expect(Object.keys(configMap.data!)).toContain(configPath.slice(mount.mountPath.length + 1));
    for (const variable of variablesOf(configText)) expect(env[variable] !== undefined || /\$\{ADMIN_TOKEN:-/.test(configText), `the Deployment sets ${variable}`).toBe(true);
    for (const variable of Object.keys(env)) expect(variablesOf(configText).has(variable) || PROCESS_VARIABLES.has(variable), `${variable} is read`).toBe(true);
    // Files the config names are in the image, which has the checkout's schemas/ at /app/schemas.
    const config = parseConfigText(configText, '/etc/interchange/interchange.yaml', env, (path) => path.replace(/^\/app\//, `${root}/`));
    expect(config.sources.map((s) => s.name)).toEqual(['inventory', 'logistics', 'orders', 'reviews']);
    expect(config.cluster.redis).toBe(env['REDIS_URL']);
    const redisService = find('Service', 'interchange-redis');
    const redisPort = (redisService.spec as { ports: { port: number }[] }).ports[0]!.port;
    expect(env['REDIS_URL']).toBe(`redis://interchange-redis:${redisPort}`);
    expect(config.stateDir).toBe(container.volumeMounts!.find((m) => m.name === 'state')!.mountPath);
  });

  it('probes /readyz and /healthz on the port the config listens on, and waits out the shutdown grace before SIGTERM', async () => {
    const answered = await answeredPaths();
    const http = container.ports.find((p) => p.name === 'http')!;
    const server = (parseYaml(configText) as { server: { port: number; shutdownGraceMs: number; shutdownTimeoutMs: number } }).server;
    expect(http.containerPort).toBe(server.port);
    expect(container.readinessProbe!.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(container.livenessProbe!.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(answered.get('/readyz')).toBe(200);
    expect(answered.get('/healthz')).toBe(200);
    const preStopSeconds = Number(container.lifecycle!.preStop.exec.command[1]);
    expect(container.lifecycle!.preStop.exec.command[0]).toBe('sleep');
    expect(preStopSeconds * 1000).toBe(server.shutdownGraceMs);
    expect(pod.spec.terminationGracePeriodSeconds!).toBeGreaterThan(preStopSeconds + (server.shutdownGraceMs + server.shutdownTimeoutMs) / 1000);
  });

  it('points the Service, the autoscaler and the disruption budget at the gateway pods', () => {
    const labels = pod.metadata.labels;
    const matches = (selector: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);
    const service = find('Service', 'interchange').spec as { selector: Record<string, string>; ports: { targetPort: string }[] };
    expect(matches(service.selector)).toBe(true);
    expect(container.ports.map((p) => p.name)).toContain(service.ports[0]!.targetPort);
    expect((find('HorizontalPodAutoscaler', 'interchange').spec as { scaleTargetRef: { kind: string; name: string } }).scaleTargetRef).toMatchObject({ kind: 'Deployment', name: 'interchange' });
    expect(matches((find('PodDisruptionBudget', 'interchange').spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels)).toBe(true);
    expect((gateway.spec as { replicas: number }).replicas).toBeGreaterThanOrEqual(2);
  });

  it('runs the demo backends on the ports the gateway is told to call', () => {
    const backends = podOf(find('Deployment', 'demo-backends')).spec.containers[0]!;
    checkNodeCommand(backends.args!);
    const ports = Object.fromEntries(backends.ports.map((p) => [p.name, p.containerPort]));
    expect(ports).toEqual({ inventory: DEMO_DEFAULT_PORTS.inventory, logistics: DEMO_DEFAULT_PORTS.logistics, orders: DEMO_DEFAULT_PORTS.orders, reviews: DEMO_DEFAULT_PORTS.reviews });
    expect(env['INVENTORY_URL']).toBe(`http://demo-backends:${ports['inventory']}`);
    expect(env['ORDERS_ADDRESS']).toBe(`demo-backends:${ports['orders']}`);
    expect(backends.readinessProbe!.httpGet!.path).toBe('/healthz');
  });
});
