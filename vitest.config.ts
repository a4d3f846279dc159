import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The profiling agent and its protocol are CommonJS TypeScript (.cts): transform them as TS too.
  oxc: { include: /\.[cm]?tsx?$/ },
  test: {
    include: ['test/**/*.test.ts'],
    // e2e tests spawn real processes and servers; give them room on a shared 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 300_000,
    pool: 'forks',
  },
});
