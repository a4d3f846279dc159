import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../src/version.js';

/**
 * `npm run demo`. Until the full SOP demo lands (benchmark, bottleneck analysis, report), this
 * shows the memory round trip agents rely on: one perfsop process stores a finding, separate
 * new processes search and retrieve it from the same database.
 */
const cli = join(PACKAGE_ROOT, 'dist', 'src', 'cli.js');
const home = mkdtempSync(join(tmpdir(), 'perfsop-demo-'));
const env = { ...process.env, PERFSOP_HOME: home };
const finding = {
  component: 'checkout-service',
  bottleneck: 'N+1 inventory queries',
  priority: 'critical',
  fix: 'batch the per-item SELECTs into one query',
};

const steps: Array<[string, Record<string, unknown>]> = [
  ['store a finding', { action: 'store', namespace: 'swarm', key: 'perf-analyzer/checkout-bottlenecks', value: JSON.stringify(finding), ttl: 86_400 }],
  ['search for it from another process', { action: 'search', value: 'checkout inventory' }],
  ['retrieve it from a third process', { action: 'retrieve', namespace: 'swarm', key: 'perf-analyzer/checkout-bottlenecks' }],
];

let failed = false;
try {
  for (const [title, args] of steps) {
    process.stdout.write(`\n$ perfsop call memory_usage '${JSON.stringify(args)}'   # ${title}\n`);
    const run = spawnSync(process.execPath, [cli, 'call', 'memory_usage', JSON.stringify(args)], { env, encoding: 'utf8' });
    process.stdout.write(run.stdout);
    if (run.stderr) process.stderr.write(run.stderr);
    if (run.status !== 0) {
      failed = true;
      break;
    }
  }
  process.stdout.write(`\n${failed ? 'demo FAILED' : 'demo ok'}: database ${join(home, 'perfsop.db')} (temporary, removed now)\n`);
} finally {
  rmSync(home, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
