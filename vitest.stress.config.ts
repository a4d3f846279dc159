import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

/**
 * `npm run test:stress`: fuzzing, crash, cleanup and load tests. They take minutes rather than
 * seconds, so they run apart from `npm test`, one file at a time: each loads the machine on its
 * own, and two at once would make them measure each other.
 *
 * Spread rather than mergeConfig: mergeConfig concatenates arrays, so the base's exclusion of
 * test/stress would survive and this config would find no test at all.
 */
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['test/stress/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    testTimeout: 300_000,
    fileParallelism: false,
  },
});
