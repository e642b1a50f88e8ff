/**
 * Per-process CPU and memory from Linux `/proc`, so the gateway and the baseline are measured as separate
 * processes without instrumenting either.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second (`getconf CLK_TCK`); 100 on practically every Linux, used when getconf is missing. */
export function clockTicksPerSecond(): number {
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isInteger(ticks) && ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
}

/**
 * `pid` and every process below it, so `serve --workers N` (a primary and its forked workers) is measured as one
 * server. Children are read from `/proc/<pid>/task/<tid>/children`; a process gone meanwhile is skipped.
 */
export function processTree(pid: number): number[] {
  const pids = [pid];
  for (let i = 0; i < pids.length; i++) {
    const parent = pids[i]!;
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${parent}/task`);
    } catch {
      continue;
    }
    for (const task of tasks) {
      try {
        for (const child of readFileSync(`/proc/${parent}/task/${task}/children`, 'utf8').split(' ')) {
          if (child.trim() !== '') pids.push(Number(child));
        }
      } catch {
        // The task ended between the two reads.
      }
    }
  }
  return pids;
}

/** user + system CPU time of `pid` and the processes below it, in clock ticks. */
export function readCpuTicks(pid: number): number {
  let ticks = readProcessCpuTicks(pid);
  for (const child of processTree(pid).slice(1)) {
    try {
      ticks += readProcessCpuTicks(child);
    } catch {
      // Ended meanwhile (a worker replaced): its time is lost, which the run's worker count makes visible.
    }
  }
  return ticks;
}

/** user + system CPU time of one process in clock ticks (fields 14 and 15 of `/proc/<pid>/stat`). */
function readProcessCpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may itself contain spaces or parentheses.
  const afterName = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // afterName[0] is field 3 (state), so field N is afterName[N - 3].
  const utime = Number(afterName[14 - 3]);
  const stime = Number(afterName[15 - 3]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`cannot parse /proc/${pid}/stat`);
  return utime + stime;
}

export interface MemorySample {
  /** Resident set size now, in KiB. */
  rssKiB: number;
  /** Peak resident set size over the process's life (`VmHWM`), in KiB. */
  hwmKiB: number;
}

/** Memory of `pid` and the processes below it, summed (peaks summed too: an upper bound of the tree's peak). */
export function readMemory(pid: number): MemorySample {
  const total = readProcessMemory(pid);
  for (const child of processTree(pid).slice(1)) {
    try {
      const memory = readProcessMemory(child);
      total.rssKiB += memory.rssKiB;
      total.hwmKiB += memory.hwmKiB;
    } catch {
      // Ended meanwhile.
    }
  }
  return total;
}

function readProcessMemory(pid: number): MemorySample {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
    if (match?.[1] === undefined) throw new Error(`/proc/${pid}/status has no ${name}`);
    return Number(match[1]);
  };
  return { rssKiB: kib('VmRSS'), hwmKiB: kib('VmHWM') };
}

/** Samples `VmRSS` of a process at a fixed interval until stopped; keeps only the maximum. */
export interface RssSampler {
  stop(): { peakRssKiB: number; hwmKiB: number; samples: number };
}

export function sampleRss(pid: number, intervalMs = 100): RssSampler {
  let peakRssKiB = 0;
  let hwmKiB = 0;
  let samples = 0;
  function sample(): void {
    try {
      const memory = readMemory(pid);
      peakRssKiB = Math.max(peakRssKiB, memory.rssKiB);
      hwmKiB = memory.hwmKiB;
      samples++;
    } catch {
      // The process has gone; the caller notices through its own checks.
    }
  }
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { peakRssKiB, hwmKiB, samples };
    },
  };
}
