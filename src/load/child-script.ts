import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Where a compiled child program of perfsop (`micro-runner.js`, `load-worker.js`) is. An environment
 * variable overrides (tests, custom builds); otherwise the file next to this module, which exists
 * when perfsop runs from dist/. Under vitest this module is the .ts source, which Node cannot start
 * without a TypeScript loader, so fall back to the built copy in dist/.
 */
export function locateChildScript(basename: string, overrideVariable: string): string {
  const override = process.env[overrideVariable];
  if (override) {
    if (!existsSync(override)) throw new Error(`${overrideVariable} points to ${override}, which does not exist`);
    return override;
  }
  const sibling = fileURLToPath(new URL(`./${basename}`, import.meta.url));
  if (existsSync(sibling)) return sibling;
  const built = fileURLToPath(new URL(`../../dist/src/load/${basename}`, import.meta.url));
  if (existsSync(built)) return built;
  throw new Error(`${basename} not found (looked for ${sibling} and ${built}); run \`npm run build\` first`);
}
