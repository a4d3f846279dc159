import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * Debian's chromium, for tests that check what a browser really draws. It is not a dependency
 * of perfsop: when it is missing and this process may install system packages (root, apt-get),
 * it is installed once with apt; otherwise the error says how to install it.
 */
const CHROMIUM = '/usr/bin/chromium';
const APT_GET = '/usr/bin/apt-get';
/** Together under vitest's 300 s hookTimeout, so a slow mirror fails here with apt's message. */
const UPDATE_TIMEOUT_MS = 90_000;
const INSTALL_TIMEOUT_MS = 200_000;

let installed: string | undefined;

export function ensureChromium(): string {
  if (installed !== undefined || existsSync(CHROMIUM)) return (installed = CHROMIUM);
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!root || !existsSync(APT_GET)) {
    throw new Error(
      `${CHROMIUM} is not installed and cannot be installed from this test ` +
        `(${root ? 'no apt-get' : 'not running as root'}): run \`apt-get install -y chromium\` as root`,
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const [args, timeout] of [
    [['update'], UPDATE_TIMEOUT_MS],
    [['install', '-y', 'chromium'], INSTALL_TIMEOUT_MS],
  ] as const) {
    const run = spawnSync(APT_GET, args, { env, encoding: 'utf8', timeout, killSignal: 'SIGKILL' });
    if (run.status !== 0) {
      const why = run.error ? run.error.message : `exit ${run.status ?? run.signal}`;
      throw new Error(`apt-get ${args.join(' ')} failed (${why}):\n${(run.stderr || run.stdout).slice(-2000)}`);
    }
  }
  if (!existsSync(CHROMIUM)) throw new Error(`apt-get install chromium succeeded but ${CHROMIUM} does not exist`);
  return (installed = CHROMIUM);
}
