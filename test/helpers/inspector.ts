import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { installCached } from './npm-cache.js';

/**
 * The MCP Inspector 2.x CLI needs Node 22, which must never become a dependency of perfsop (npm
 * scripts would then run everything on it). Both are installed from the npm registry into a
 * folder of their own on first use, and reused afterwards.
 */
const DEPENDENCIES = { node: '^22', '@modelcontextprotocol/inspector': '~2.12.0' };

export interface Inspector {
  /** Folder to put first on PATH so the Inspector's `#!/usr/bin/env node` finds Node 22. */
  binDir: string;
  inspector: string;
}

export function ensureInspector(): Inspector {
  const dir = installCached('perfsop-inspector', DEPENDENCIES, process.env.PERFSOP_INSPECTOR_DIR);
  const binDir = join(dir, 'node_modules', '.bin');
  const inspector = join(binDir, 'mcp-inspector');
  const version = spawnSync(join(binDir, 'node'), ['--version'], { encoding: 'utf8' }).stdout.trim();
  if (!version.startsWith('v22.')) throw new Error(`expected Node 22 in ${binDir}, found ${version}`);
  return { binDir, inspector };
}
