#!/usr/bin/env -S node --max-semi-space-size=32
// The young generation is 32 MB per semi-space (V8's default is 16): a gateway's in-flight requests outlive a
// small one and get copied and promoted, so it cuts the gateway's CPU per request by about a tenth for ~30 MB of
// RSS (bench/README.md). Set here because V8 reads it only at start (v8.setFlagsFromString later has no effect);
// `node --max-semi-space-size=N dist/cli/main.js` chooses another size (NODE_OPTIONS would not: this flag wins).
// The `interchange` command. Runs the compiled CLI (dist/, built by `npm install` through the prepare script)
// when it is at least as new as every source file; otherwise the TypeScript sources through tsx's loader, so
// an edited checkout never runs stale code.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const compiled = join(root, 'dist', 'cli', 'main.js');

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

// tsx is a dev dependency: an install without it (`npm ci --omit=dev`, the container image) runs dist/ as it is.
const tsx = await import('tsx/esm/api').catch(() => undefined);
const sources = join(root, 'src');
const fresh = existsSync(compiled) && (!tsx || !existsSync(sources) || statSync(compiled).mtimeMs >= newestSource(sources));
if (fresh) {
  await import(compiled);
} else if (tsx) {
  tsx.register();
  await import('../src/cli/main.ts');
} else {
  process.stderr.write('interchange: dist/ is missing: run `npm run build` (or install with dev dependencies to run the TypeScript sources)\n');
  process.exit(1);
}
