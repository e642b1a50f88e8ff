/**
 * Run in a worker thread by the primary of `serve --workers N` (`config-check.ts`): checks the config as a worker
 * will load it and posts the outcome. A thread, so the primary does not keep in memory the source kinds, their
 * spec converters and clients that checking a config loads (~40 MB it would hold for nothing).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { startingConfig } from '../config/overlay.js';
import type { ConfigCheck } from './config-check.js';
import { failureText } from './failure-text.js';

let outcome: ConfigCheck;
try {
  const { config } = startingConfig((workerData as { file: string }).file);
  outcome = { ok: true, shutdownGraceMs: config.server.shutdownGraceMs, shutdownTimeoutMs: config.server.shutdownTimeoutMs };
} catch (error) {
  outcome = { ok: false, text: failureText(error) };
}
parentPort!.postMessage(outcome);
