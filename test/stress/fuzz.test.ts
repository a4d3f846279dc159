import { defineFuzzSuite } from '../helpers/fuzz-suite.js';

// 5,000 calls with a new seed each run: over time the runs cover far more inputs than one seed would.
defineFuzzSuite({ runs: 100, seed: Date.now() % 2 ** 31 });
