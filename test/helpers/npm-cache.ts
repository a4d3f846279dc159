import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './mcp.js';

/**
 * Packages some tests need that must not be perfsop's dependencies (Node 22 for the Inspector,
 * database drivers the profiler instruments): installed from the npm registry into a folder of
 * their own under node_modules/.cache on first use, reused afterwards, and reinstalled when the
 * wanted versions change.
 */
export function installCached(name: string, dependencies: Record<string, string>, dirOverride?: string): string {
  const dir = dirOverride ?? join(REPO_ROOT, 'node_modules', '.cache', name);
  const manifest = `${JSON.stringify({ name, private: true, dependencies }, null, 2)}\n`;
  const manifestPath = join(dir, 'package.json');
  const current = existsSync(manifestPath) && JSON.stringify((JSON.parse(readFileSync(manifestPath, 'utf8')) as { dependencies?: unknown }).dependencies) === JSON.stringify(dependencies);
  if (!current || !Object.keys(dependencies).every((dep) => existsSync(join(dir, 'node_modules', dep, 'package.json')))) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(manifestPath, manifest);
    // Native modules without a reachable prebuilt binary compile here: give them time.
    const install = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, encoding: 'utf8', timeout: 280_000 });
    if (install.status !== 0) throw new Error(`installing ${Object.keys(dependencies).join(', ')} into ${dir} failed:\n${install.stderr || install.error?.message}`);
  }
  return dir;
}
