import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The profiling agent and its protocol are CommonJS TypeScript (.cts): transform them as TS too.
  oxc: { include: /\.[cm]?tsx?$/ },
  test: {
    include: ['test/**/*.test.ts'],
    // The long stress tests run apart, in `npm run test:stress` (vitest.stress.config.ts).
    exclude: ['test/stress/**', '**/node_modules/**'],
    // e2e tests spawn real processes and servers; give them room on a shared 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 300_000,
    pool: 'forks',
    setupFiles: ['test/setup/clean-env.ts'],
  },
});
