import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * Debian programs some tests run for real (a browser, database servers). They are not
 * dependencies of perfsop: when one is missing and this process may install system packages
 * (root, apt-get), its package is installed once with apt; otherwise the error says how.
 */
const APT_GET = '/usr/bin/apt-get';
/** Together under vitest's 300 s hookTimeout, so a slow mirror fails here with apt's message. */
const UPDATE_TIMEOUT_MS = 90_000;
const INSTALL_TIMEOUT_MS = 200_000;

let updated = false;

export function ensureDebianProgram(program: string, debianPackage: string): string {
  if (existsSync(program)) return program;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!root || !existsSync(APT_GET)) {
    throw new Error(
      `${program} is not installed and cannot be installed from this test ` +
        `(${root ? 'no apt-get' : 'not running as root'}): run \`apt-get install -y ${debianPackage}\` as root`,
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // Test files run in parallel: wait for another file's apt instead of failing on its lock.
  const lock = ['-o', 'DPkg::Lock::Timeout=240'];
  const steps: Array<[string[], number]> = [
    ...(updated ? [] : [[[...lock, 'update'], UPDATE_TIMEOUT_MS] as [string[], number]]),
    [[...lock, 'install', '-y', debianPackage], INSTALL_TIMEOUT_MS],
  ];
  for (const [args, timeout] of steps) {
    const run = spawnSync(APT_GET, args, { env, encoding: 'utf8', timeout, killSignal: 'SIGKILL' });
    if (run.status !== 0) {
      const why = run.error ? run.error.message : `exit ${run.status ?? run.signal}`;
      throw new Error(`apt-get ${args.join(' ')} failed (${why}):\n${(run.stderr || run.stdout).slice(-2000)}`);
    }
  }
  updated = true;
  if (!existsSync(program)) throw new Error(`apt-get install ${debianPackage} succeeded but ${program} does not exist`);
  return program;
}
