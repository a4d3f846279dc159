import { runDemo } from '../src/commands/demo.js';

// `npm run demo`: the whole SOP on the bundled example service (see src/commands/demo.ts).
const db = process.argv.indexOf('--db');
process.exitCode = await runDemo(db >= 0 && process.argv[db + 1] ? { dbPath: process.argv[db + 1] } : {});
