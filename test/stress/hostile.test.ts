import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/mcp.js';
import { freePort } from '../helpers/ports.js';
import { startHttpPerfsop, type HttpPerfsop } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp.js';

// Secrets must not leak through any channel perfsop writes or answers on, even when the service
// under test prints its whole environment and every header it receives, and a command echoes its
// secret into the stderr perfsop quotes in errors. Every channel is searched for the raw values.

/** Random, so a hit can only come from the value itself. */
const secret = (name: string) => `${name}-${randomBytes(12).toString('hex')}`;
const SECRETS = {
  apiKeyEnv: secret('apikeyenv'), // API_KEY: secret by name
  passwordEnv: secret('passwordenv'), // DB_PASSWORD: secret by name
  listedEnv: secret('listedenv'), // SEED: an ordinary name, listed in secretEnv
  commandEnv: secret('commandenv'), // MY_TOKEN of a command benchmark
  inherited: secret('inherited'), // UPSTREAM_SECRET in perfsop's own environment, inherited by the service
  perfsopToken: secret('perfsoptoken'), // PERFSOP_TOKEN: the HTTP bearer token, also inherited
  bearer: secret('bearer'), // Authorization: Bearer <bearer> of the load
  apiKeyHeader: secret('apikeyheader'), // X-Api-Key of the load
};

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path) : entry.isFile() ? [path] : [];
  });
}

function leaks(channel: string, text: string): string[] {
  return Object.entries(SECRETS)
    .filter(([, value]) => text.includes(value))
    .map(([name]) => `${name} in ${channel}`);
}

describe('secrets never leave perfsop', () => {
  let perfsop: HttpPerfsop | undefined;
  afterAll(async () => {
    await perfsop?.stop();
  });

  it('appear in no tool result, progress message, resource, stderr line, database row or artifact file', async () => {
    const home = tempDir();
    const [port, crashPort] = [await freePort(), await freePort()];
    const service = join(REPO_ROOT, 'test', 'fixtures', 'env-service.mjs');
    const config = join(home, 'perfsop.config.json');
    const serviceEnv = { API_KEY: SECRETS.apiKeyEnv, DB_PASSWORD: SECRETS.passwordEnv, SEED: SECRETS.listedEnv };
    writeFileSync(
      config,
      JSON.stringify({
        components: {
          envsvc: { command: `"${process.execPath}" "${service}"`, env: { ...serviceEnv, PORT: String(port) }, secretEnv: ['SEED'], url: `http://127.0.0.1:${port}` },
          // Prints the same and exits before it is ready: perfsop quotes the tail of its output in the error.
          crasher: { command: `"${process.execPath}" "${service}"`, env: { ...serviceEnv, PORT: String(crashPort), EXIT_AT_START: '1' }, secretEnv: ['SEED'], url: `http://127.0.0.1:${crashPort}`, readyTimeout: 20 },
        },
        suites: {
          leaky: { benchmarks: [{ name: 'leaky-cmd', type: 'command', command: 'echo "cmd token is $MY_TOKEN" >&2; exit 1', env: { MY_TOKEN: SECRETS.commandEnv }, iterations: 1, warmup: 0 }] },
        },
      }),
    );
    perfsop = await startHttpPerfsop([], {
      PERFSOP_HOME: home,
      PERFSOP_DB: join(home, 'perfsop.db'),
      PERFSOP_CONFIG: config,
      PERFSOP_TOKEN: SECRETS.perfsopToken,
      PERFSOP_LOG_LEVEL: 'debug',
      UPSTREAM_SECRET: SECRETS.inherited,
      CLAUDE_CONFIG_DIR: join(home, 'claude'),
    });
    const client = new Client({ name: 'hostile', version: '0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${perfsop.url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${SECRETS.perfsopToken}` } } }));

    const answers: unknown[] = [];
    const progress: string[] = [];
    const call = async (name: string, args: Record<string, unknown>) => {
      const result = (await client.callTool({ name, arguments: args }, undefined, { onprogress: (p) => void progress.push(p.message ?? ''), timeout: 120_000 })) as CallToolResult;
      answers.push(result);
      return result;
    };
    const credentials = { Authorization: `Bearer ${SECRETS.bearer}`, 'X-Api-Key': SECRETS.apiKeyHeader };

    expect((await call('benchmark_run', { component: 'envsvc', duration: 1, connections: 1, headers: credentials, label: 'before' })).isError).toBeFalsy();
    expect((await call('benchmark_run', { component: 'envsvc', duration: 1, connections: 1, headers: credentials, label: 'after', baseline: 'before' })).isError).toBeFalsy();
    const analysis = await call('bottleneck_analyze', { component: 'envsvc', duration: 1, connections: 1, requests: [{ path: '/', headers: credentials }] });
    expect(analysis.isError).toBeFalsy();
    // The failures quote the service's and the command's own output; the quote must be redacted, not dropped.
    const crashed = await call('benchmark_run', { component: 'crasher', duration: 1 });
    expect(crashed.isError).toBe(true);
    expect(JSON.stringify(crashed)).toContain('[redacted]');
    const failed = await call('benchmark_run', { suite: 'leaky' });
    expect(failed.isError).toBe(true);
    expect(JSON.stringify(failed)).toContain('cmd token is [redacted]');
    for (const format of ['detailed', 'json', 'html']) expect((await call('performance_report', { format, timeframe: 'all' })).isError).toBeFalsy();
    const { resources } = await client.listResources();
    answers.push(resources);
    for (const resource of resources) answers.push(await client.readResource({ uri: resource.uri }));
    await client.close();
    expect(await perfsop.stop()).toBe(0);

    const found: string[] = [];
    found.push(...leaks('tool results and resources', JSON.stringify(answers)));
    found.push(...leaks('progress messages', progress.join('\n')));
    found.push(...leaks('perfsop stderr', perfsop.stderr()));
    const db = new Database(join(home, 'perfsop.db'), { readonly: true });
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'memory%'").all() as Array<{ name: string }>).map((t) => t.name);
    expect(tables).toEqual(expect.arrayContaining(['runs', 'benchmarks', 'analyses', 'findings', 'artifacts', 'tool_calls']));
    for (const table of tables) {
      const rows = db.prepare(`SELECT * FROM "${table}"`).all();
      found.push(...leaks(`table ${table}`, JSON.stringify(rows, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('latin1') : v))));
    }
    db.close();
    // Every file perfsop wrote: the database itself (free pages included), artifacts, service logs, reports.
    const files = filesUnder(home).filter((f) => f !== config);
    for (const file of files) found.push(...leaks(file.slice(home.length + 1), readFileSync(file, 'latin1')));
    expect(found).toEqual([]);

    // The controls: the channels searched really carried what was redacted, so the search could hit.
    const serviceLogs = files.filter((f) => f.endsWith('envsvc.log'));
    expect(serviceLogs.length).toBe(3);
    for (const log of serviceLogs) {
      const text = readFileSync(log, 'utf8');
      expect(text, text.slice(0, 3000)).toContain('split key: [redacted]');
      expect(text).toContain('"authorization":"[redacted]"');
      expect(text).toContain('"x-api-key":"[redacted]"');
      expect(text).toContain('"UPSTREAM_SECRET":"[redacted]"');
      expect(text).toContain('"SEED":"[redacted]"');
      expect(statSync(log).size).toBeGreaterThan(0);
    }
    expect(progress.length).toBeGreaterThan(0);
    expect(files.some((f) => f.endsWith('.cpuprofile'))).toBe(true);
    expect(files.some((f) => f.endsWith('.html'))).toBe(true);
  });
});
