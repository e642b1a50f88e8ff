import { Worker } from 'node:worker_threads';

/** The config checked as a worker will load it: what the primary needs of it, or the error text to print. */
export type ConfigCheck =
  | { readonly ok: true; readonly shutdownGraceMs: number; readonly shutdownTimeoutMs: number }
  | { readonly ok: false; readonly text: string };

/**
 * Checks the config `file` (the file with registered.yaml applied, validated: `startingConfig`) in a worker thread
 * whose memory is given back when it ends (`config-check-thread.ts`).
 */
export function checkConfigInThread(file: string): Promise<ConfigCheck> {
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = new URL(fromSource ? './config-check-thread.ts' : './config-check-thread.js', import.meta.url);
  // Run from the TypeScript sources (tsx), the thread loads its entry through tsx's API: a thread does not
  // inherit loader hooks registered in the main thread on Node 20.
  const worker = fromSource
    ? new Worker(`const { workerData } = require('node:worker_threads'); import(workerData.tsx).then(({ tsImport }) => tsImport(workerData.entry, workerData.entry));`, {
        eval: true,
        workerData: { file, entry: entry.href, tsx: import.meta.resolve('tsx/esm/api') },
      })
    : new Worker(entry, { workerData: { file } });
  return new Promise((resolve, reject) => {
    let answered = false;
    worker.once('message', (outcome: ConfigCheck) => {
      answered = true;
      resolve(outcome);
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (!answered) reject(new Error(`the config check ended (code ${code}) without an answer`));
    });
  });
}
