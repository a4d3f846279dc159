import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { ensureDebianProgram } from './debian.js';
import { freePort } from './ports.js';
import { tempDir } from './temp.js';

/**
 * Private PostgreSQL and MariaDB servers for tests of the profiler's driver instrumentation: each
 * in a temp folder, on a free loopback port, with trust authentication, stopped when the test
 * file ends (and killed if the test process exits first). Nothing touches a system instance.
 */
export interface DatabaseServer {
  port: number;
  user: string;
  database: string;
}

const started: ChildProcess[] = [];
afterAll(async () => {
  await Promise.all(started.splice(0).map(stop));
});
process.once('exit', () => {
  for (const child of started) child.kill('SIGKILL');
});

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** Runs a server program until it logs `ready`, or fails with its output. */
async function startServer(command: string, args: string[], ready: RegExp, what: string): Promise<ChildProcess> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not get ready in 60 s:\n${output.slice(-2000)}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (ready.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code ?? signal}) before it was ready:\n${output.slice(-2000)}`));
    });
  });
  // Keep draining its output so a chatty server never blocks on a full pipe.
  child.stdout!.resume();
  child.stderr!.resume();
  return child;
}

function run(command: string, args: string[], what: string): void {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 120_000 });
  if (result.status !== 0) throw new Error(`${what} failed (${result.error?.message ?? `exit ${result.status}`}):\n${(result.stderr || result.stdout || '').slice(-2000)}`);
}

function postgresBin(): string {
  const find = () => {
    const root = '/usr/lib/postgresql';
    if (!existsSync(root)) return undefined;
    const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'postgres'))).sort((a, b) => Number(b) - Number(a));
    return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
  };
  const found = find();
  if (found) return found;
  ensureDebianProgram('/usr/bin/psql', 'postgresql');
  const installed = find();
  if (!installed) throw new Error('postgresql is installed but no /usr/lib/postgresql/*/bin/postgres was found');
  return installed;
}

/** PostgreSQL refuses to run as root: as root, it runs as the `postgres` user the package creates. */
function asPostgres(bin: string, args: string[]): [string, string[]] {
  return isRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
}

export async function startPostgres(): Promise<DatabaseServer> {
  const bin = postgresBin();
  const dir = tempDir('perfsop-pg-');
  const data = join(dir, 'data');
  if (isRoot) {
    const { uid, gid } = userIds('postgres');
    chownSync(dir, uid, gid);
  }
  chmodSync(dir, 0o700);
  run(...asPostgres(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'perfsop', '--no-sync', '--no-instructions']), 'initdb');
  const port = await freePort();
  const [command, args] = asPostgres(join(bin, 'postgres'), ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off']);
  await startServer(command, args, /ready to accept connections/, 'PostgreSQL');
  return { port, user: 'perfsop', database: 'postgres' };
}

export async function startMariaDb(): Promise<DatabaseServer> {
  const mariadbd = ensureDebianProgram('/usr/sbin/mariadbd', 'mariadb-server');
  const dir = tempDir('perfsop-mariadb-');
  const data = join(dir, 'data');
  const user = isRoot ? ['--user=root'] : [];
  run('mariadb-install-db', ['--no-defaults', `--datadir=${data}`, ...user, '--auth-root-authentication-method=normal', '--skip-test-db'], 'mariadb-install-db');
  const port = await freePort();
  await startServer(
    mariadbd,
    // skip-grant-tables: any user connects without a password, which is all a throwaway server needs.
    ['--no-defaults', `--datadir=${data}`, `--port=${port}`, '--bind-address=127.0.0.1', `--socket=${join(dir, 'mariadb.sock')}`, `--pid-file=${join(dir, 'mariadb.pid')}`, '--skip-grant-tables', '--skip-log-bin', '--innodb-buffer-pool-size=32M', ...user],
    /ready for connections/,
    'MariaDB',
  );
  run('mariadb', ['--no-defaults', '-h', '127.0.0.1', '-P', String(port), '-u', 'root', '-e', 'CREATE DATABASE perfsop'], 'creating the MariaDB database');
  return { port, user: 'root', database: 'perfsop' };
}

function userIds(name: string): { uid: number; gid: number } {
  const out = spawnSync('id', ['-u', name], { encoding: 'utf8' }).stdout.trim();
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' }).stdout.trim();
  if (!/^\d+$/.test(out) || !/^\d+$/.test(gid)) throw new Error(`no user ${name}`);
  return { uid: Number(out), gid: Number(gid) };
}
