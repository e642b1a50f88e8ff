/**
 * Summarises a V8 `.cpuprofile` (what `node --cpu-prof` writes): the functions with the most self time, and the
 * same time grouped by package, optionally restricted to a window so start-up and warm-up do not count.
 *
 *   node --import tsx bench/profile-summary.ts FILE.cpuprofile [--top 15] [--from-ms N] [--to-ms N]
 *
 * `--from-ms`/`--to-ms` are milliseconds since the profile started (about when the process started). Profile
 * timestamps are CLOCK_MONOTONIC microseconds, the clock of `process.hrtime()` in any process on the machine, so
 * another process can name an exact window with `fromUs`/`toUs`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
/** The parts of the `.cpuprofile` format used here; times are microseconds. */
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileRow {
  /** Function name, `(anonymous)` when V8 has none. */
  name: string;
  /** `node_modules/pkg/file.js:line`, `src/file.ts:line`, `node:internal/...:line`, or empty for V8 pseudo-frames. */
  location: string;
  /** Package or area the function belongs to (see `areaOf`). */
  area: string;
  selfMs: number;
  /** Share of the busy (non-idle) time in the window, 0..100. */
  selfPercent: number;
}

export interface ProfileSummary {
  /** Sampled milliseconds in the window, idle included. */
  windowMs: number;
  /** Sampled milliseconds in the window that were not `(idle)`. */
  busyMs: number;
  top: ProfileRow[];
  /** Busy time per area, largest first. */
  byArea: { area: string; selfMs: number; selfPercent: number }[];
  /**
   * Busy time per area with Node's own JavaScript and native frames charged to the nearest caller in a package
   * or in the repository (`writev` called from undici counts for undici), largest first.
   */
  byCallerArea: { area: string; selfMs: number; selfPercent: number }[];
}

/** Node's internals and native frames, which `byCallerArea` charges to their caller. */
function isRuntimeArea(area: string): boolean {
  return area === 'node:internal' || area === '(native)';
}

export interface SummariseOptions {
  /** Rows in `top`. Default 15. */
  top?: number;
  /** Window start, CLOCK_MONOTONIC microseconds (`process.hrtime.bigint() / 1000n`). Default: the profile's start. */
  fromUs?: number;
  /** Window end, CLOCK_MONOTONIC microseconds. Default: the profile's end. */
  toUs?: number;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Shortens a script URL to something readable: where in the repository or in which package. */
function shortLocation(frame: CallFrame): string {
  if (frame.url === '') return '';
  let path = frame.url.replace(/^file:\/\//, '');
  const modules = path.lastIndexOf('/node_modules/');
  if (modules >= 0) path = path.slice(modules + 1);
  else if (path.startsWith(ROOT)) path = path.slice(ROOT.length);
  // lineNumber is 0-based in the profile.
  return `${path}:${frame.lineNumber + 1}`;
}

/**
 * `graphql`, `@graphql-tools/delegate`, `undici`, `node:internal` (Node's own JavaScript), `src/gateway` (ours),
 * or a V8 pseudo-frame such as `(garbage collector)` and `(program)` (native code outside any JS function).
 */
export function areaOf(frame: CallFrame): string {
  if (frame.url === '') return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  const url = frame.url.replace(/^file:\/\//, '');
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const parts = url.slice(modules + '/node_modules/'.length).split('/');
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1] ?? ''}` : (parts[0] ?? url);
  }
  if (url.startsWith('node:')) return 'node:internal';
  if (url.startsWith(ROOT)) {
    const parts = url.slice(ROOT.length).split('/');
    return parts.length > 2 ? `${parts[0]}/${parts[1]}` : (parts[0] ?? url);
  }
  return url;
}

export function summariseProfile(profile: CpuProfile, options: SummariseOptions = {}): ProfileSummary {
  const topCount = options.top ?? 15;
  const fromUs = options.fromUs ?? profile.startTime;
  const toUs = options.toUs ?? Number.POSITIVE_INFINITY;
  const nodeById = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentById = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentById.set(child, node.id);
  const callerAreaById = new Map<number, string>();
  function callerAreaOf(node: ProfileNode): string {
    const known = callerAreaById.get(node.id);
    if (known !== undefined) return known;
    const own = areaOf(node.callFrame);
    let area = own;
    if (isRuntimeArea(own)) {
      const parent = nodeById.get(parentById.get(node.id) ?? -1);
      // At the root, the time stays with the runtime (event loop work with no JavaScript caller).
      area = parent === undefined || parent.callFrame.functionName === '(root)' ? own : callerAreaOf(parent);
    }
    callerAreaById.set(node.id, area);
    return area;
  }
  const usByCallerArea = new Map<string, number>();

  const selfUsByKey = new Map<string, { frame: CallFrame; us: number }>();
  let windowUs = 0;
  let idleUs = 0;
  let at = profile.startTime;
  for (let index = 0; index < profile.samples.length; index++) {
    at += profile.timeDeltas[index] ?? 0;
    if (at < fromUs || at > toUs) continue;
    // A sample lasts until the next one is taken.
    const durationUs = profile.timeDeltas[index + 1] ?? 0;
    const node = nodeById.get(profile.samples[index] ?? -1);
    if (node === undefined || durationUs <= 0) continue;
    windowUs += durationUs;
    const frame = node.callFrame;
    if (frame.functionName === '(idle)') {
      idleUs += durationUs;
      continue;
    }
    const callerArea = callerAreaOf(node);
    usByCallerArea.set(callerArea, (usByCallerArea.get(callerArea) ?? 0) + durationUs);
    const key = `${frame.functionName}\u0000${frame.url}\u0000${frame.lineNumber}\u0000${frame.columnNumber}`;
    const entry = selfUsByKey.get(key);
    if (entry) entry.us += durationUs;
    else selfUsByKey.set(key, { frame, us: durationUs });
  }

  const busyUs = windowUs - idleUs;
  const percent = (us: number): number => (busyUs > 0 ? (us / busyUs) * 100 : 0);
  const entries = [...selfUsByKey.values()].sort((a, b) => b.us - a.us);
  const top = entries.slice(0, topCount).map(({ frame, us }) => ({
    name: frame.functionName === '' ? '(anonymous)' : frame.functionName,
    location: shortLocation(frame),
    area: areaOf(frame),
    selfMs: us / 1_000,
    selfPercent: percent(us),
  }));
  const usByArea = new Map<string, number>();
  for (const { frame, us } of entries) usByArea.set(areaOf(frame), (usByArea.get(areaOf(frame)) ?? 0) + us);
  const rank = (usBy: Map<string, number>) =>
    [...usBy.entries()].sort((a, b) => b[1] - a[1]).map(([area, us]) => ({ area, selfMs: us / 1_000, selfPercent: percent(us) }));
  return { windowMs: windowUs / 1_000, busyMs: busyUs / 1_000, top, byArea: rank(usByArea), byCallerArea: rank(usByCallerArea) };
}

/**
 * The main thread's profile among those `node --cpu-prof --cpu-prof-dir DIR` wrote: Node names them
 * `CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile`, and a process started with `--import tsx` also writes
 * one for the module loader's worker thread. The main thread's id is 0.
 */
export function findMainThreadProfile(dir: string): string | undefined {
  const name = readdirSync(dir).find((file) => /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(file));
  return name === undefined ? undefined : join(dir, name);
}

export function readProfile(file: string): CpuProfile {
  return JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
}

/** Plain-text rendering of a summary, as printed by `npm run bench -- --profile`. */
export function formatProfileSummary(summary: ProfileSummary, areas = 12): string {
  const lines = [
    `sampled ${summary.windowMs.toFixed(0)} ms, busy ${summary.busyMs.toFixed(0)} ms (percentages are of busy time)`,
    '',
    'top self time:',
    ...summary.top.map(
      (row, index) =>
        `${String(index + 1).padStart(3)}. ${row.selfPercent.toFixed(1).padStart(5)}%  ${row.selfMs.toFixed(0).padStart(6)} ms  ${row.name}  ${row.location}`,
    ),
    '',
    'self time by area:',
    ...summary.byArea.slice(0, areas).map((row) => `     ${row.selfPercent.toFixed(1).padStart(5)}%  ${row.selfMs.toFixed(0).padStart(6)} ms  ${row.area}`),
    '',
    'self time by area, node internals and native code charged to their caller:',
    ...summary.byCallerArea.slice(0, areas).map((row) => `     ${row.selfPercent.toFixed(1).padStart(5)}%  ${row.selfMs.toFixed(0).padStart(6)} ms  ${row.area}`),
  ];
  return lines.join('\n');
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '15' }, 'from-ms': { type: 'string' }, 'to-ms': { type: 'string' } },
  });
  const file = positionals[0];
  if (file === undefined) {
    process.stderr.write('usage: profile-summary FILE.cpuprofile [--top N] [--from-ms N] [--to-ms N]\n');
    process.exitCode = 2;
    return;
  }
  const profile = readProfile(file);
  const summary = summariseProfile(profile, {
    top: Number(values.top),
    ...(values['from-ms'] === undefined ? {} : { fromUs: profile.startTime + Number(values['from-ms']) * 1_000 }),
    ...(values['to-ms'] === undefined ? {} : { toUs: profile.startTime + Number(values['to-ms']) * 1_000 }),
  });
  process.stdout.write(`${formatProfileSummary(summary)}\n`);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) main();
