import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // graphql 16 ships CJS (main) and ESM (module) builds with no exports map: Node, and so every dependency
    // vitest leaves external, loads the CJS one, while vite would give our sources the ESM one, and graphql
    // refuses objects from "another realm". Point both at the build Node picks.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration suites start real servers; two workers match the 2-core CI machine.
    maxWorkers: 2,
    // `npm test` runs both; `npm run test:unit` (no sockets, seconds) or `npm run test:integration` one of them.
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { extends: true, test: { name: 'integration', include: ['test/integration/**/*.test.ts'] } },
    ],
  },
});
