import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ErrorCode, McpError, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { recordCpuProfile } from './cpu-profile.js';
import { ESCAPE_NAME, hostilePaths, hostileUrls, toolCalls, type GeneratedCall } from './fuzz-args.js';
import { CLI, REPO_ROOT, callOk } from './mcp.js';
import { freePort } from './ports.js';
import { startFixtureServer, type FixtureServer } from './processes.js';
import { isReaperOf, listed, processesWithEnv } from './process-scan.js';
import { expectServing, startRawStdio } from './raw-stdio.js';

const CALLS_PER_RUN = 50;
const MARK = 'PERFSOP_FUZZ_SANDBOX';
const IN_FLIGHT = 4;

/**
 * Small policy caps and no components: a generated call can run only briefly, and only against
 * 127.0.0.1. One micro-benchmark suite gives benchmark_run something it may run (in a child
 * process, which the leak check then covers).
 */
const CONFIG = {
  suites: { micro: { benchmarks: [{ name: 'add', type: 'micro', module: 'add.mjs', iterations: 3 }] } },
  policy: { allowAdhocCommands: false, allowedHosts: ['127.0.0.1'], maxDuration: 2, maxIterations: 5, maxConnections: 4, maxAmount: 50, maxWorkers: 1 },
};

// A named function that burns CPU, so the recorded profile has samples to analyze.
function fuzzHotLoop(ms: number): number {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) for (let i = 0; i < 10_000; i++) x = (x + Math.sqrt(i * x + 1)) % 1_000_003;
  return x;
}

/** A real .cpuprofile for bottleneck_analyze's offline mode: the one analysis that needs no service. */
async function recordProfile(path: string): Promise<void> {
  writeFileSync(path, JSON.stringify(await recordCpuProfile(() => fuzzHotLoop(100))));
}

// tools/call answers are checked by expectWellFormed, not by the SDK client, so a malformed one is seen rather than rejected.
const AnyResult = z.looseObject({});

/** Everything the server may touch lives under one root; the test checks nothing appears elsewhere. */
function serverSandbox(): { root: string; env: Record<string, string> } {
  const root = mkdtempSync(join(tmpdir(), 'perfsop-fuzz-'));
  const home = join(root, 'home');
  for (const dir of ['home', 'tmp', 'claude']) mkdirSync(join(root, dir));
  writeFileSync(join(home, 'perfsop.config.json'), JSON.stringify(CONFIG));
  // The benchmarked module leaves a process behind, as real code may: perfsop must not let it outlive the run.
  writeFileSync(
    join(home, 'add.mjs'),
    "import { spawn } from 'node:child_process';\n" +
      "spawn(process.execPath, ['-e', 'setTimeout(() => {}, 120000)'], { stdio: 'ignore' }).unref();\n" +
      'export function add() { return 1 + 1; }\n',
  );
  const env = {
    ...(process.env as Record<string, string>),
    HOME: home,
    PERFSOP_HOME: home,
    PERFSOP_DB: join(home, 'perfsop.db'),
    PERFSOP_CONFIG: join(home, 'perfsop.config.json'),
    TMPDIR: join(root, 'tmp'),
    CLAUDE_CONFIG_DIR: join(root, 'claude'),
    PERFSOP_LOG_LEVEL: 'error',
    // Inherited by everything the server starts: how the leak check finds its processes, orphans included.
    [MARK]: root,
  };
  return { root, env };
}

/**
 * What exists outside the sandbox that a stray write of this server could have created: the
 * repository's status, and entries in the system temp folder that are tied to this server. Other
 * engineers' test runs on this machine write perfsop-* files there at the same time, so only
 * names carrying the server's pid (perfsop-agent-<pid>-...) or the fuzzer's escape name count.
 */
function outsideSnapshot(pid: number): { git: string; tmp: string[] } {
  const git = execFileSync('git', ['status', '--porcelain', '--untracked-files=all', '--ignored=no'], { cwd: REPO_ROOT, encoding: 'utf8' });
  const tmp = readdirSync(tmpdir()).filter((name) => name.includes(`-${pid}-`) || name.includes(ESCAPE_NAME));
  return { git, tmp };
}

/** A CallToolResult a client can parse: content items of known kinds, isError boolean, structuredContent an object. */
function expectWellFormed(result: Record<string, unknown>, call: GeneratedCall): void {
  const where = JSON.stringify(call).slice(0, 300);
  expect(Array.isArray(result.content), where).toBe(true);
  for (const item of result.content as Array<Record<string, unknown>>) {
    if (item.type === 'text') expect(typeof item.text, where).toBe('string');
    else {
      expect(item.type, where).toBe('resource_link');
      expect(typeof item.uri, where).toBe('string');
      expect(typeof item.name, where).toBe('string');
    }
  }
  if ('isError' in result) expect(typeof result.isError, where).toBe('boolean');
  if ('structuredContent' in result) {
    const structured = result.structuredContent;
    expect(structured !== null && typeof structured === 'object' && !Array.isArray(structured), where).toBe(true);
  }
  // A load that ran against `url` must have gone to 127.0.0.1: the policy refuses every other host.
  const args = call.arguments as Record<string, unknown> | null;
  const urlIsTheTarget = typeof args?.url === 'string' && !args.suite && !args.component && !args.profile;
  if (!result.isError && (call.name === 'benchmark_run' || call.name === 'bottleneck_analyze') && urlIsTheTarget) {
    expect(URL.parse(args.url as string)?.hostname, where).toBe('127.0.0.1');
  }
}

/** A JSON-RPC error is a fine answer to a bad call; a closed connection or a timeout is not. */
function expectProtocolError(error: unknown, call: GeneratedCall): void {
  const where = JSON.stringify(call).slice(0, 300);
  expect(error, where).toBeInstanceOf(McpError);
  expect([ErrorCode.ConnectionClosed, ErrorCode.RequestTimeout], `${where}: ${String(error)}`).not.toContain((error as McpError).code);
}

async function inPool<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

/**
 * The fuzz test of the built server, as a suite a test file declares with its size: `runs` x 50
 * generated tools/call requests. FUZZ_RUNS and FUZZ_SEED override both (reproduce a failure with
 * FUZZ_SEED=<the printed seed>).
 */
export function defineFuzzSuite(options: { runs: number; seed: number }): void {
  const RUNS = process.env.FUZZ_RUNS ? Number(process.env.FUZZ_RUNS) : options.runs;
  const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : options.seed;
  describe(`fuzzing every tool of the built server over stdio (${RUNS * CALLS_PER_RUN} calls)`, () => {
    let sandbox: ReturnType<typeof serverSandbox>;
    let before: ReturnType<typeof outsideSnapshot>;
    let client: Client;
    let transport: StdioClientTransport;
    let stderr = '';
    let tools: Tool[];
    let target: FixtureServer;
    let profilePath: string;

    beforeAll(async () => {
      sandbox = serverSandbox();
      // A live HTTP server on 127.0.0.1 (our own process, not the server's): the one place load may go.
      target = await startFixtureServer();
      profilePath = join(sandbox.root, 'home', 'fuzz.cpuprofile');
      await recordProfile(profilePath);
      transport = new StdioClientTransport({ command: process.execPath, args: [CLI], env: sandbox.env, cwd: join(sandbox.root, 'home'), stderr: 'pipe' });
      transport.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      client = new Client({ name: 'perfsop-fuzz', version: '0' });
      await client.connect(transport);
      tools = (await client.listTools()).tools;
      before = outsideSnapshot(transport.pid!);
      // One model of each type from the start, so generated neural_predict calls can reach a model.
      const examples = Array.from({ length: 8 }, (_, i) => ({ input: { bottleneck: i % 2 ? 'n+1 queries' : 'hot loop', impact: i }, output: { technique: i % 2 ? 'batch' : 'memoize' } }));
      for (const pattern_type of ['coordination', 'optimization', 'prediction']) {
        await callOk(client, 'neural_train', { pattern_type, training_data: JSON.stringify(examples), epochs: 2 });
      }
    });

    afterAll(async () => {
      await client?.close();
      await target?.stop();
      // A failed run may have left the server's processes behind: they carry this run's marker.
      if (sandbox) for (const { pid } of processesWithEnv(MARK, sandbox.root)) process.kill(pid, 'SIGKILL');
      if (sandbox) rmSync(sandbox.root, { recursive: true, force: true });
    });

    it(`answers ${RUNS * CALLS_PER_RUN} generated tools/call requests with well-formed results or JSON-RPC errors, and stays up`, async () => {
      expect(tools.map((tool) => tool.name).sort()).toEqual(['benchmark_run', 'bottleneck_analyze', 'memory_usage', 'neural_predict', 'neural_train', 'performance_report', 'token_usage']);
      const pid = transport.pid!;
      const closedPorts = [await freePort(), await freePort()];
      const paths = hostilePaths(REPO_ROOT);
      const strings = [...paths, ...hostileUrls(closedPorts), target.url, `${target.url}/slow`, profilePath, 'fuzz.cpuprofile', 'micro', 'add', 'checkout', 'k', 'default', 'GET', 'POST', '/', '24h', 'all', 'summary', 'detailed', 'html', 'json', 'before', 'after', 'optimization',
        '{"input":{"bottleneck":"n+1"},"output":{"technique":"batch"}}', '[{"input":{"a":1},"output":{"technique":"x"}},{"input":{"a":2},"output":{"technique":"y"}}]'];
      const example = (i: number) => ({ input: { bottleneck: i % 2 ? 'n+1 queries' : 'hot loop', impact: i }, output: { technique: i % 2 ? 'batch' : 'memoize' } });
      const hints: Record<string, unknown[]> = {
        suite: ['micro'],
        url: [target.url, `http://127.0.0.1:${closedPorts[0]}/`],
        profile: [profilePath],
        training_data: [JSON.stringify(Array.from({ length: 8 }, (_, i) => example(i))), JSON.stringify(example(1))],
        input: [{ bottleneck: 'n+1 queries' }, '{"bottleneck":"hot loop"}'],
        key: ['k', 'swarm/a/b'],
        namespace: ['default', 'learning'],
        value: ['v', '{"p95":312}'],
        // Full-text query syntax a search must not hand to SQLite as is.
        pattern: ['"', 'AND', 'NEAR(a b', '*', 'a OR', '^x', 'key:x', '-x', '(', 'x"y', 'auth*', '\u0000'],
        query: ['OR OR', ')', 'value:*', '"unterminated'],
        prefix: ['%', '_', 'k', '\\'],
        duration: [0.3, 1],
        connections: [1, 2],
        amount: [5, 20],
        iterations: [1, 3],
        epochs: [1, 5, 1000],
        hidden: [4, 256],
        // Edges of time: ranges that overflow a Date, and days that do not exist.
        timeframe: ['24h', 'all', '7d', '9999999999w', '0h', '-1d', '1e3d', '99999999999999999999h'],
        since: ['2026-13-45', '9999-12-31', '0000-01-01', '2026-03-01T25:00:00Z', '+275760-09-13'],
        until: ['2026-02-30', '-271821-04-20', '2026-03-01'],
        timezone: ['UTC', 'Invalid/Zone', 'America/New_York', '+05:00', 'Etc/GMT+14'],
        // Token counts at the integer limit: costs that overflow to Infinity.
        usage: [
          { operation: 'fuzz', model: 'claude-sonnet-4-5', input_tokens: Number.MAX_SAFE_INTEGER, output_tokens: Number.MAX_SAFE_INTEGER, cache_read_input_tokens: Number.MAX_SAFE_INTEGER },
          [{ model: 'claude-opus-4-1', input_tokens: 1, cost_usd: 1e308 }, { model: 'claude-opus-4-1', input_tokens: 1, cost_usd: 1e308 }],
          { model: 'unknown-model', input_tokens: 0, output_tokens: 0, timestamp: '9999-12-31T23:59:59Z' },
        ],
        learning_rate: [1, 1e-300],
        seed: [-1, 2 ** 53],
        validation_split: [0.5, 0.05],
        top: [50, 1],
        baseline: [1, 2 ** 53, 'before', 0],
        text: ['hello world'],
        // Values that reach the load generator's request building: header injection, odd methods.
        headers: [{ 'x-a': 'b' }, { 'x-bad': 'a\r\nInjected: 1' }, { 'x\u0000': 'y' }, { '': 'x' }, { Host: 'example.com' }, { 'content-length': '-1' }, { 'transfer-encoding': 'chunked' }],
        method: ['GET', 'POST', 'G E T', '\u0000', 'CONNECT', 'get', 'x'.repeat(1000)],
        requests: [[{ method: 'GET', path: '/' }], [{ path: '/a\r\nb' }], [{ path: '/', body: { deep: [[[1]]] } }, { path: '/x', method: 'DELETE', headers: { a: '\u00e9' } }]],
        body: ['x', { a: 1 }, [1, 2], '\u0000'],
        capacity: [true],
        pipelining: [1, 2, 100],
        rate: [1, 1000, 0.001],
        metrics: [['cpu_usage'], ['response_time', 'memory', 'gc']],
        heap: [true],
        model: ['claude-sonnet-4-5'],
      };
      let calls = 0;
      let batch = 0;
      // How far calls got, per tool: a fuzzer whose calls all fail validation tests nothing.
      const outcomes = new Map<string, { ok: number; isError: number; rpcError: number }>();
      const count = (name: string, outcome: 'ok' | 'isError' | 'rpcError') => {
        const tally = outcomes.get(name) ?? { ok: 0, isError: 0, rpcError: 0 };
        tally[outcome]++;
        outcomes.set(name, tally);
      };
      const started = performance.now();

      try {
        await fc.assert(
          fc.asyncProperty(fc.array(toolCalls(tools, strings, paths, hints, { benchmark_run: [['suite'], ['url', 'connections']], bottleneck_analyze: [['profile'], ['url']], neural_predict: [['pattern_type'], ['modelId']] }), { minLength: CALLS_PER_RUN, maxLength: CALLS_PER_RUN }), async (generated) => {
            await inPool(generated, IN_FLIGHT, async (call) => {
              calls++;
              try {
                const result = await client.request({ method: 'tools/call', params: call as { name: string; arguments?: Record<string, unknown> } }, AnyResult);
                expectWellFormed(result, call);
                count(call.name, result.isError ? 'isError' : 'ok');
              } catch (error) {
                if (!(error instanceof McpError)) throw error;
                expectProtocolError(error, call);
                count(call.name, 'rpcError');
              }
            });
            // Every call has been answered: nothing it started may still run (a zombie counts).
            const left = processesWithEnv(MARK, sandbox.root, { zombies: true }).filter((p) => p.pid !== pid && !isReaperOf(pid, p));
            expect(left, listed(left)).toEqual([]);
            await callOk(client, 'memory_usage', { action: 'store', key: `alive-${++batch}`, value: 'yes' });
            expect(await callOk(client, 'memory_usage', { action: 'retrieve', key: `alive-${batch}` })).toMatchObject({ found: true, value: 'yes' });
          }),
          { seed: SEED, numRuns: RUNS, endOnFailure: true },
        );
      } catch (error) {
        console.error(`fuzz failed with FUZZ_SEED=${SEED} after ${calls} calls; server stderr (tail):\n${stderr.slice(-3000)}`);
        // fast-check prints the whole counterexample, 100 KB strings included: squeeze repeats.
        if (error instanceof Error) error.message = error.message.replace(/(.)\1{99,}/gsu, (run, char: string) => `<${run.length} x ${JSON.stringify(char)}>`);
        throw error;
      }
      console.info(`fuzz: ${calls} calls in ${((performance.now() - started) / 1000).toFixed(1)} s, seed ${SEED}`, Object.fromEntries([...outcomes].filter(([name]) => name.length < 40)));
      // Every tool was reached past its argument validation at least once.
      for (const tool of tools) expect(outcomes.get(tool.name)?.ok, tool.name).toBeGreaterThan(0);
      expect(stderr).not.toMatch(/Unhandled|uncaught|FATAL ERROR/i);
      // A tool that hit an exception nobody meant (a TypeError, a RangeError from a Date, an SQLite
      // error) or built a result its own schema refuses logs it: bad input must get a clear answer
      // instead. (A plain Error such as "no request got a response" is a deliberate message.)
      const internal = /^perfsop error: .*(does not match its schema|failed (TypeError|RangeError|ReferenceError|SyntaxError|SqliteError))/;
      expect(stderr.split('\n').filter((line) => internal.test(line))).toEqual([]);
      expect(outsideSnapshot(transport.pid!)).toEqual(before);
      for (const place of [REPO_ROOT, tmpdir(), homedir(), join(sandbox.root, '..')]) expect(existsSync(join(place, ESCAPE_NAME)), place).toBe(false);
    });

    it('answers NaN and Infinity in arguments (not JSON) with a parse error on a raw line, for every numeric field', async () => {
      const raw = await startRawStdio(sandbox.env, join(sandbox.root, 'home'));
      for (const tool of tools) {
        const properties = (tool.inputSchema.properties ?? {}) as Record<string, { type?: string }>;
        for (const [field, schema] of Object.entries(properties)) {
          if (schema.type !== 'number' && schema.type !== 'integer') continue;
          for (const literal of ['NaN', 'Infinity', '-Infinity']) {
            await raw.write(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"${tool.name}","arguments":{"${field}": ${literal}}}}\n`);
            expect(await raw.next()).toMatchObject({ id: null, error: { code: -32700 } });
          }
        }
        await expectServing(raw, `after-nan-${tool.name}`);
      }
      expect(await raw.stop()).toBe(0);
    });
  });
}
