import { copyFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { liveGroupCount } from '../../src/load/process-group.js';
import { startMariaDb, startPostgres, type DatabaseServer } from '../helpers/databases.js';
import { REPO_ROOT, callOk, connectWithConfig, type Connected } from '../helpers/mcp.js';
import { installCached } from '../helpers/npm-cache.js';
import { freePort } from '../helpers/ports.js';
import { tempDir } from '../helpers/temp.js';

/**
 * The profiler's query instrumentation on the asynchronous drivers (better-sqlite3 is covered by
 * the planted-service tests): real pg, mysql2 and sqlite3 packages, real PostgreSQL and MariaDB
 * servers, a service whose requests wait for each other's pooled connections. An N+1 of exactly 10
 * per request comes out as 10 only if every query is attributed to the request that issued it.
 */
type Finding = { kind: string; location?: { function: string; file: string }; evidence: Record<string, unknown> };
type Result = { findings: Finding[]; summary: Record<string, number | null>; routes: Array<{ route: string; queries_per_request: number }> };

const DRIVERS = { pg: '8.23.1', mysql2: '3.24.6', sqlite3: '5.1.7' };
const N_PLUS_ONE = 'SELECT total FROM order_lines WHERE order_id = ?';

let serviceDir: string;
let postgres: DatabaseServer;
let mariadb: DatabaseServer;
let connected: Connected | undefined;

beforeAll(async () => {
  const drivers = installCached('perfsop-drivers', DRIVERS);
  // The service runs from a copy beside a link to the drivers, so it and the agent resolve them.
  serviceDir = tempDir();
  copyFileSync(join(REPO_ROOT, 'test', 'fixtures', 'driver-service.mjs'), join(serviceDir, 'driver-service.mjs'));
  symlinkSync(join(drivers, 'node_modules'), join(serviceDir, 'node_modules'), 'dir');
  [postgres, mariadb] = await Promise.all([startPostgres(), startMariaDb()]);
});

afterEach(async () => {
  await connected?.close();
  connected = undefined;
  expect(liveGroupCount()).toBe(0);
});

async function analyze(env: Record<string, string>): Promise<Result> {
  const port = await freePort();
  connected = await connectWithConfig({
    components: {
      svc: {
        command: `"${process.execPath}" driver-service.mjs`,
        cwd: serviceDir,
        env: { PORT: String(port), ...env },
        url: `http://127.0.0.1:${port}`,
        ready: '/health',
        load: { connections: 4, duration: 3, requests: [{ path: '/orders' }] },
      },
    },
  });
  return (await callOk(connected.client, 'bottleneck_analyze', { component: 'svc', metrics: ['db_queries', 'response_time'] })) as unknown as Result;
}

function expectNPlusOne(result: Result): void {
  const n1 = result.findings.find((f) => f.kind === 'n-plus-one');
  expect(n1, JSON.stringify(result.findings.map((f) => f.kind))).toBeDefined();
  expect(n1!.evidence).toMatchObject({ fingerprint: N_PLUS_ONE, per_request_mean: 10, per_request_max: 10 });
  expect(n1!.location?.function).toBe('loadLines');
  expect(n1!.location?.file).toMatch(/driver-service\.mjs$/);
  // 1 list query + 10 line queries, every request, none lost or double counted.
  expect(result.summary.queries_per_request).toBe(11);
  expect(result.summary.error_rate).toBe(0);
  expect(result.routes.find((r) => r.route === 'GET /orders')?.queries_per_request).toBe(11);
}

describe('bottleneck_analyze attributes queries of asynchronous drivers to their requests', () => {
  const db = (server: () => DatabaseServer) => () => ({ DB_PORT: String(server().port), DB_USER: server().user, DB_NAME: server().database });

  it('sqlite3 (callbacks)', async () => {
    expectNPlusOne(await analyze({ DRIVER: 'sqlite3', SQLITE_FILE: join(tempDir(), 'shop.db') }));
  });

  it('pg pool with promises', async () => {
    expectNPlusOne(await analyze({ DRIVER: 'pg', ...db(() => postgres)() }));
  });

  it('pg pool with callbacks', async () => {
    expectNPlusOne(await analyze({ DRIVER: 'pg-callback', ...db(() => postgres)() }));
  });

  it('mysql2/promise pool', async () => {
    expectNPlusOne(await analyze({ DRIVER: 'mysql2', ...db(() => mariadb)() }));
  });

  it('mysql2 pool with callbacks', async () => {
    expectNPlusOne(await analyze({ DRIVER: 'mysql2-callback', ...db(() => mariadb)() }));
  });
});
