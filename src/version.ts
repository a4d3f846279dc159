import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Found by walking up, because this module runs both from src/ (tests) and dist/src/ (built).
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'perfsop') return dir;
    } catch {
      // not here; keep climbing
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the perfsop package.json');
    dir = parent;
  }
}

export const PACKAGE_ROOT = packageRoot();
export const VERSION = (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
