import { defineFuzzSuite } from '../helpers/fuzz-suite.js';

// 300 calls with a fixed seed: cheap enough for `npm test`, and the same inputs every run. The
// long, freshly seeded run is test/stress/fuzz.test.ts.
defineFuzzSuite({ runs: 6, seed: 42 });
