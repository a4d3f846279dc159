import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './mcp.js';

/**
 * The MCP Inspector 2.x CLI needs Node 22, which must never become a dependency of perfsop (npm
 * scripts would then run everything on it). Both are installed from the npm registry into a
 * folder of their own on first use, and reused afterwards.
 */
const DIR = process.env.PERFSOP_INSPECTOR_DIR ?? join(REPO_ROOT, 'node_modules', '.cache', 'perfsop-inspector');
const MANIFEST = { name: 'perfsop-inspector-tools', private: true, dependencies: { node: '^22', '@modelcontextprotocol/inspector': '~2.12.0' } };

export interface Inspector {
  /** Folder to put first on PATH so the Inspector's `#!/usr/bin/env node` finds Node 22. */
  binDir: string;
  inspector: string;
}

export function ensureInspector(): Inspector {
  const binDir = join(DIR, 'node_modules', '.bin');
  const inspector = join(binDir, 'mcp-inspector');
  if (!existsSync(inspector) || !existsSync(join(binDir, 'node'))) {
    mkdirSync(DIR, { recursive: true });
    writeFileSync(join(DIR, 'package.json'), `${JSON.stringify(MANIFEST, null, 2)}\n`);
    const install = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: DIR, encoding: 'utf8', timeout: 280_000 });
    if (install.status !== 0) throw new Error(`installing node@22 and the Inspector failed:\n${install.stderr}`);
  }
  const version = spawnSync(join(binDir, 'node'), ['--version'], { encoding: 'utf8' }).stdout.trim();
  if (!version.startsWith('v22.')) throw new Error(`expected Node 22 in ${binDir}, found ${version}`);
  return { binDir, inspector };
}
