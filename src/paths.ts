import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Where perfsop keeps its database and artifacts; `PERFSOP_HOME` overrides `~/.perfsop`. */
export function perfsopHome(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.PERFSOP_HOME || join(homedir(), '.perfsop'));
}

/** `PERFSOP_DB` wins, so a swarm can point every agent's perfsop at one file. */
export function databasePath(env: NodeJS.ProcessEnv = process.env): string {
  return env.PERFSOP_DB ? resolve(env.PERFSOP_DB) : join(perfsopHome(env), 'perfsop.db');
}

export function artifactsDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(perfsopHome(env), 'artifacts');
}
