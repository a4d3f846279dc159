// The ccusage CLI, to compare perfsop's token accounting with. It is not a dependency of perfsop:
// it is installed from the npm registry into a folder of its own on first use (as the tests do
// with the MCP Inspector) and reused afterwards. 20.0.24 is pinned because its package brings
// its native (Rust) binary on this platform; 20.0.26 does not.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CCUSAGE_VERSION = '20.0.24';
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DIR = process.env.PERFSOP_CCUSAGE_DIR ?? join(ROOT, 'node_modules', '.cache', 'perfsop-ccusage');
const MANIFEST = { name: 'perfsop-ccusage', private: true, dependencies: { ccusage: CCUSAGE_VERSION } };

/** Installs ccusage when missing; returns its npm entry point (what `npx ccusage` runs) and the native binary it starts. */
export function ensureCcusage() {
  const bin = join(DIR, 'node_modules', '.bin', 'ccusage');
  if (!existsSync(bin)) {
    mkdirSync(DIR, { recursive: true });
    writeFileSync(join(DIR, 'package.json'), `${JSON.stringify(MANIFEST, null, 2)}\n`);
    const install = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: DIR, encoding: 'utf8', timeout: 280_000 });
    if (install.status !== 0) throw new Error(`installing ccusage@${CCUSAGE_VERSION} failed:\n${install.stderr}`);
  }
  const require = createRequire(join(DIR, 'package.json'));
  const manifest = require.resolve(`@ccusage/ccusage-${process.platform}-${process.arch}/package.json`);
  const native = join(dirname(manifest), 'bin', 'ccusage');
  if (!existsSync(native)) throw new Error(`ccusage's native binary is missing at ${native}`);
  // npm 11 skips install scripts that are not allowed explicitly, and the binary's executable bit
  // comes from ccusage's own install script: set it, as that script would.
  if ((statSync(native).mode & 0o111) === 0) chmodSync(native, 0o755);
  const run = spawnSync(native, ['--version'], { encoding: 'utf8' });
  if (run.error || run.status !== 0) throw new Error(`ccusage's native binary at ${native} does not run: ${run.error?.message ?? run.stderr}`);
  const version = run.stdout.trim();
  if (!version.includes(CCUSAGE_VERSION)) throw new Error(`expected ccusage ${CCUSAGE_VERSION} in ${DIR}, found ${version}`);
  return { bin, native };
}

/**
 * The environment ccusage runs in: only `claudeDir`'s transcripts (HOME is an empty folder, so
 * it finds no other agent's data and no config), days in UTC.
 */
export function ccusageEnv(claudeDir, home) {
  const env = { ...process.env, CLAUDE_CONFIG_DIR: claudeDir, HOME: home, TZ: 'UTC' };
  delete env.XDG_CONFIG_HOME;
  delete env.XDG_DATA_HOME;
  return env;
}

/** `ccusage daily --json --offline` on `claudeDir`. */
export function ccusageDaily(command, claudeDir) {
  const home = mkdtempSync(join(tmpdir(), 'perfsop-ccusage-home-'));
  try {
    const run = spawnSync(command, ['daily', '--json', '--offline'], { env: ccusageEnv(claudeDir, home), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (run.status !== 0) throw new Error(`ccusage daily failed (${run.status ?? run.signal}): ${run.stderr}`);
    return JSON.parse(run.stdout);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
