import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, callError, callOk } from '../helpers/mcp.js';
import { perTest } from '../helpers/per-test.js';
import type { FixtureServer } from '../helpers/processes.js';
import { freePort } from '../helpers/ports.js';
import { tempDir } from '../helpers/temp.js';

// A model choosing perfsop's arguments may be wrong or manipulated: these tests play that model
// against real servers and processes and check that the policy, not the model, decides.

const { fixture, open } = perTest();

/** A second host: 127.0.0.2 is loopback on Linux but a different address, so it counts as "elsewhere". */
async function elsewhere(): Promise<FixtureServer> {
  return fixture({ HOST: '127.0.0.2' }, 'redirect-server.mjs');
}

async function redirectorTo(location: string): Promise<FixtureServer> {
  return fixture({ LOCATION: location }, 'redirect-server.mjs');
}

describe('commands outside the config', () => {
  it('bottleneck_analyze refuses an ad-hoc command like benchmark_run does, before starting anything', async () => {
    const marker = join(tempDir(), 'ran');
    const { client } = await open();
    const command = `touch ${marker}`;
    expect(await callError(client, 'bottleneck_analyze', { command, url: 'http://127.0.0.1:9/' })).toMatch(/Invalid `command`: ad-hoc commands are not allowed by the policy/);
    expect(await callError(client, 'benchmark_run', { command })).toMatch(/Invalid `command`: ad-hoc commands are not allowed by the policy/);
    // Allowed to run commands, it still may not aim them at a host outside the list.
    const { client: permissive } = await open({ policy: { allowAdhocCommands: true } });
    expect(await callError(permissive, 'bottleneck_analyze', { command, url: 'http://10.1.2.3:3000/' })).toMatch(/Invalid `url`: load to 10\.1\.2\.3 is not allowed by the policy/);
    // The refusals come before the shell: the command never ran.
    expect(() => statSync(marker)).toThrow();
  });
});

describe('load never reaches a host outside allowedHosts', () => {
  it('follows no redirect (301, 302, 307, 308) from an allowed target to another host', async () => {
    const other = await elsewhere();
    const redirector = await redirectorTo(`${other.url}/stolen`);
    const { client } = await open();
    const result = await callOk(client, 'benchmark_run', {
      url: `${redirector.url}/`,
      requests: [{ path: '/301' }, { path: '/302' }, { path: '/307' }, { path: '/308' }],
      amount: 200,
      connections: 2,
    });
    const bench = (result.benchmarks as Array<{ requests: number; non2xx: number }>)[0]!;
    // Every request was answered by the redirector with a 3xx, and not one reached the other host.
    expect(await redirector.served()).toBe(200);
    expect(bench.non2xx).toBe(bench.requests);
    expect(await other.served()).toBe(0);
  });

  it('does not follow a redirect while waiting for a component to become ready, and is not fooled into "ready"', async () => {
    const other = await elsewhere();
    const redirector = await redirectorTo(`${other.url}/health`);
    // The component's ready path redirects to a host that would answer 200: following it would
    // both send a request there and declare a component ready that never answered itself.
    const { client } = await open({
      components: { svc: { command: `"${process.execPath}" -e "setInterval(() => {}, 1000)"`, url: redirector.url, ready: '/302', readyTimeout: 2 } },
    });
    expect(await callError(client, 'benchmark_run', { component: 'svc', duration: 1 })).toMatch(/did not answer 2xx at http:\/\/127\.0\.0\.1:\d+\/302/);
    expect(await redirector.served()).toBeGreaterThan(0);
    expect(await other.served()).toBe(0);
  });

  it('refuses an allowed name that resolves (for real) to an address outside the list', async () => {
    // This machine's own name resolves to some address (here 127.0.0.1) that is not 127.0.0.2, the
    // only address allowed: the name alone must not let load through to where it points.
    const target = await fixture();
    const name = hostname();
    const { client } = await open({ policy: { allowedHosts: ['127.0.0.2', name] } });
    expect(await callError(client, 'benchmark_run', { url: `http://${name}:${target.port}/`, duration: 1 })).toMatch(/not allowed by the policy|cannot resolve/);
    expect(await target.served()).toBe(0);
  });
});

describe('policy caps', () => {
  it('caps every size a call can ask for, in both load tools, naming the field', async () => {
    const { client } = await open({
      policy: { maxDuration: 5, maxConnections: 20, maxIterations: 3, maxAmount: 100, maxWorkers: 2, allowAdhocCommands: true },
      components: { svc: { command: 'true', url: 'http://127.0.0.1:9/' } },
    });
    const url = 'http://127.0.0.1:9/';
    const refused: Array<[string, Record<string, unknown>, RegExp]> = [
      ['benchmark_run', { url, duration: 6 }, /Invalid `duration`: duration 6 is above the policy cap of 5/],
      ['benchmark_run', { url, connections: 21 }, /Invalid `connections`: connections 21 is above the policy cap of 20/],
      ['benchmark_run', { url, amount: 101 }, /Invalid `amount`: amount 101 is above the policy cap of 100/],
      ['benchmark_run', { url, workers: 3 }, /Invalid `workers`: workers 3 is above the policy cap of 2/],
      ['benchmark_run', { command: 'true', iterations: 4 }, /Invalid `iterations`: iterations 4 is above the policy cap of 3/],
      ['bottleneck_analyze', { component: 'svc', duration: 6 }, /Invalid `duration`/],
      ['bottleneck_analyze', { component: 'svc', connections: 21 }, /Invalid `connections`/],
      ['bottleneck_analyze', { component: 'svc', workers: 3 }, /Invalid `workers`/],
    ];
    for (const [tool, args, message] of refused) expect(await callError(client, tool, args), `${tool} ${JSON.stringify(args)}`).toMatch(message);
    // A default above a stricter cap is lowered to it: a call that set nothing is not refused
    // over a field it never sent (perfsop's default is 10 iterations, the cap here 3).
    const plain = await callOk(client, 'benchmark_run', { command: 'true', warmup: 0 });
    expect((plain.benchmarks as Array<{ iterations: number }>)[0]).toMatchObject({ iterations: 3 });
  });

  it('stops capturing a component log at policy.maxArtifactBytes and says so in the file', async () => {
    const port = await freePort();
    const script = join(tempDir(), 'chatty.mjs');
    // 1 MB of output before it listens, far over a 64 KiB cap.
    writeFileSync(
      script,
      `import http from 'node:http';
       for (let i = 0; i < 1024; i++) process.stdout.write('x'.repeat(1023) + '\\n');
       http.createServer((q, s) => s.end('ok')).listen(${port}, '127.0.0.1');`,
    );
    const cap = 64 * 1024;
    const { client, app } = await open({
      policy: { maxArtifactBytes: cap },
      components: { chatty: { command: `"${process.execPath}" ${script}`, url: `http://127.0.0.1:${port}` } },
    });
    const result = await callOk(client, 'benchmark_run', { component: 'chatty', amount: 10, connections: 1 });
    const log = join(app.artifactsDir, `run-${result.run_id as number}`, 'logs', 'chatty.log');
    const text = readFileSync(log, 'utf8');
    expect(text).toMatch(/\[perfsop: log truncated at 65536 bytes \(policy\.maxArtifactBytes\)/);
    // The cap plus the one-line note, nothing more.
    expect(statSync(log).size).toBeLessThan(cap + 200);
    expect(readdirSync(join(app.artifactsDir, `run-${result.run_id as number}`, 'logs'))).toEqual(['chatty.log']);
  });

  it('keeps no profile or flame graph above policy.maxArtifactBytes, and says so', async () => {
    const port = await freePort();
    const service = join(REPO_ROOT, 'test', 'fixtures', 'http-server.mjs');
    const { client, app } = await open({
      policy: { maxArtifactBytes: 1024 },
      components: { svc: { command: `"${process.execPath}" "${service}"`, env: { PORT: String(port) }, url: `http://127.0.0.1:${port}`, ready: '/health' } },
    });
    const result = await callOk(client, 'bottleneck_analyze', { component: 'svc', duration: 1, connections: 1 });
    const notes = (result.notes as string[]).join('\n');
    // A CPU profile of a second of load is far above 1 KiB: analyzed, then not kept.
    expect(notes).toMatch(/svc\.cpuprofile removed: \d+ bytes is above policy\.maxArtifactBytes \(1024\)/);
    expect(notes).toMatch(/flame graph not written: \d+ bytes is above policy\.maxArtifactBytes \(1024\)/);
    expect((result.artifacts as Array<{ kind: string }>).map((a) => a.kind)).toEqual(['log']);
    const dir = join(app.artifactsDir, `analysis-${result.analysis_id as number}`);
    for (const file of readdirSync(dir)) expect(statSync(join(dir, file)).size, file).toBeLessThanOrEqual(1024 + 200);
  });
});
