#!/usr/bin/env node
// Load benchmark: does perfsop's benchmark_run drive as much HTTP load as the bare autocannon CLI,
// and how long does a benchmark_run call take to put its first request on the wire?
//
//   node bench/load/run.mjs [--pairs 5] [--duration 10] [--connections 10] [--delay-ms 1]
//                           [--warmup 2] [--overhead-calls 10]
//                           [--breakdown-rounds 3] [--breakdown-duration 4] [--pin] [--write]
//
// 1. Requests/s. Two targets, each its own node process (bench/load/target-server.mjs): one that
//    answers at once (CPU-bound on both sides, where the generator's own cost shows) and one that
//    answers after a --delay-ms timer. Against each, runs of the bare CLI
//    (node node_modules/autocannon/autocannon.js -c N -d D -p 1 -j URL, a fresh process per run)
//    and of benchmark_run (an SDK Client over stdio calling it on one long-lived perfsop process,
//    so perfsop's own start-up is not in the figure) alternate in pairs, the order flipping every
//    pair (AB BA AB ...) so a drift of the machine hits both alike. req/s = responses / the
//    duration each tool measured itself, for both.
// 2. Breakdown: in-process drivers (bench/load/driver.mjs, a fresh process each) against the
//    immediate target: bare autocannon, + a no-op 'response' listener, + perfsop's listener body,
//    perfsop's runHttpLoad; each cold (the process's first run) and warm (its second): req/s and
//    CPU per request. Then what one 'response' event costs alone: autocannon's emit with no
//    listener, a no-op one and perfsop's listener body, in a loop (ns per response).
// 3. Tool-call overhead: from sending the tools/call to the target accepting the first load
//    connection and parsing the first load request, both read from process.hrtime.bigint()
//    (CLOCK_MONOTONIC, one clock for every process of this host), for an ad-hoc url benchmark and
//    a config component benchmark whose component already runs.
//
// Each run also records the hypervisor's steal time, to show which runs a neighbour disturbed.
// --pin fixes the targets and the generators to one CPU each with taskset.
//
// --write updates the load section of bench/RESULTS.md. Runs on the built dist/
// (npm run bench:load builds first). About 6 minutes with the defaults, bounded by a time budget.
// The order of runs is fixed; the listener loop's latencies come from a seeded PRNG.
import { execFileSync, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { request } from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gitState } from '../../dist/src/load/git.js';
import { createRng } from '../lib/prng.mjs';
import { contextLines, runContext, writeSection } from '../lib/results-file.mjs';
import { withResources } from '../lib/resources.mjs';
import { ROOT, SERVERS, connect } from '../lib/servers.mjs';
import { fmtInt, fmtMs, markdownTable, summarize } from '../lib/stats.mjs';
import { perfsopListener } from './listener.mjs';

const { values: options } = parseArgs({
  options: {
    pairs: { type: 'string', default: '5' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '10' },
    'delay-ms': { type: 'string', default: '1' },
    warmup: { type: 'string', default: '2' },
    'overhead-calls': { type: 'string', default: '10' },
    'breakdown-rounds': { type: 'string', default: '3' },
    'breakdown-duration': { type: 'string', default: '4' },
    pin: { type: 'boolean', default: false },
    write: { type: 'boolean', default: false },
  },
});

function positive(name, { integer = true, zero = false } = {}) {
  const value = Number(options[name]);
  const ok = Number.isFinite(value) && (integer ? Number.isInteger(value) : true) && (zero ? value >= 0 : value > 0);
  if (!ok) throw new Error(`--${name} must be a ${zero ? 'non-negative' : 'positive'} ${integer ? 'integer' : 'number'}, got "${options[name]}"`);
  return value;
}

const PAIRS = positive('pairs');
const DURATION_S = positive('duration');
const CONNECTIONS = positive('connections');
const DELAY_MS = positive('delay-ms', { integer: false });
const WARMUP_S = positive('warmup', { zero: true });
const OVERHEAD_CALLS = positive('overhead-calls');
const BREAKDOWN_ROUNDS = positive('breakdown-rounds', { zero: true });
const BREAKDOWN_S = positive('breakdown-duration');

// --pin: targets on the last CPU, every load generator (the CLI, perfsop, the drivers) on CPU 0,
// with taskset; otherwise the kernel places them.
const PIN = options.pin;
const GENERATOR_CPU = 0;
const TARGET_CPU = cpus().length - 1;

const TARGET_RATIO = 0.95;
const SEED = 0x10ad;
const LISTENER_CALLS = 1_000_000;
const LISTENER_ROUNDS = 7;
const AUTOCANNON_CLI = join(ROOT, 'node_modules/autocannon/autocannon.js');
const CPU_PROBE = join(ROOT, 'bench/load/cpu-probe.cjs');
const TARGET_SCRIPT = join(ROOT, 'bench/load/target-server.mjs');
const DRIVER_SCRIPT = join(ROOT, 'bench/load/driver.mjs');
// Each driver process runs its mode twice: cold (its first load, as the CLI always is) and warm.
const BREAKDOWN_MODES = [
  { mode: 'bare', label: 'autocannon API, no listener' },
  { mode: 'noop', label: '+ no-op `response` listener' },
  { mode: 'histograms', label: "+ perfsop's listener body: 2 LogHistogram.record, counters" },
  { mode: 'perfsop', label: "perfsop's runHttpLoad" },
];
// Load per overhead call: enough requests that every connection sends some, over in milliseconds.
const OVERHEAD_AMOUNT = CONNECTIONS * 20;
const TARGETS = [
  { name: 'immediate', delayMs: 0, describe: 'answers at once' },
  { name: `timer ${DELAY_MS} ms`, delayMs: DELAY_MS, describe: `answers after a ${DELAY_MS} ms setTimeout` },
];

// Wall-clock estimate (each run may last a second longer than asked: autocannon stops on its
// next one-second tick) plus process start-ups; the budget leaves room for a slow machine.
const ESTIMATE_S =
  TARGETS.length * (PAIRS * 2 * (DURATION_S + 1.5) + (WARMUP_S > 0 ? 2 * (WARMUP_S + 1.5) : 0)) +
  BREAKDOWN_ROUNDS * BREAKDOWN_MODES.length * (2 * (BREAKDOWN_S + 0.7) + 0.5) +
  (2 * OVERHEAD_CALLS + 1) * 1.1 + // a call with `amount` still lasts until autocannon's next one-second tick
  10;
const BUDGET_MS = Math.round(ESTIMATE_S * 1.5 + 60) * 1000;

// Two-sided 95% Student t quantiles by degrees of freedom (1.96 beyond the table).
const T95 = [NaN, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086];
const t95 = (df) => T95[df] ?? 1.96;

// ---------------------------------------------------------------------------------------------
// Processes

/**
 * Spawns `node ...args`, keeps stdout and the last 4 KB of stderr, and registers a closer that
 * stops it (SIGTERM, SIGKILL after 2 s) if it still runs at cleanup.
 */
function spawnNode(resources, args, env = {}, { ipc = false, cpu } = {}) {
  const stdio = ['ignore', 'pipe', 'pipe', ...(ipc ? ['ipc'] : [])];
  // taskset execs node, so the child's pid stays node's.
  const [command, argv] = PIN && cpu !== undefined ? ['taskset', ['-c', String(cpu), process.execPath, ...args]] : [process.execPath, args];
  const child = spawn(command, argv, { cwd: ROOT, env: { ...process.env, ...env }, stdio });
  if (ipc) child.channel.unref(); // the channel only tells the child when this process is gone
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4096)));
  const exited = new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  const running = () => child.exitCode === null && child.signalCode === null;
  resources.add(async () => {
    if (!running()) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => running() && child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  });
  return { child, exited, stdout: () => stdout, stderr: () => stderr };
}

/** A target server process; resolves once it listens. */
async function startTarget(resources, target) {
  const proc = spawnNode(resources, [TARGET_SCRIPT], { TARGET_DELAY_MS: String(target.delayMs) }, { ipc: true, cpu: TARGET_CPU });
  const port = await new Promise((resolve, reject) => {
    const onData = () => {
      const match = /listening (\d+)/.exec(proc.stdout());
      if (match) resolve(Number(match[1]));
    };
    proc.child.stdout.on('data', onData);
    proc.exited.then(({ code, signal }) => reject(new Error(`target ${target.name} exited (${signal ?? code}) before listening: ${proc.stderr()}`)));
  });
  const base = `http://127.0.0.1:${port}`;
  return { ...target, pid: proc.child.pid, url: `${base}/`, control: (path) => getJson(`${base}${path}`) };
}

function getJson(url) {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => {
        try {
          resolve(JSON.parse(body));
        } catch (error) {
          reject(new Error(`${url}: ${res.statusCode} ${body.slice(0, 200)} (${error.message})`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${url}: timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** CPU (user + system) a process has used so far, ms, from /proc (Linux; 10 ms ticks). */
function procCpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) / 100) * 1000;
}

/**
 * The hypervisor's steal time so far (ms, all CPUs; /proc/stat's 8th cpu field): CPU time this VM
 * was ready to use but the host gave to someone else. It shows which runs a neighbour disturbed.
 */
function stealSnapshot() {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/);
  return { stealMs: (Number(fields[8] ?? 0) / 100) * 1000, at: process.hrtime.bigint() };
}

/** Steal over a run as a share of all CPUs' time over it, in percent. */
function stealPct(before) {
  const after = stealSnapshot();
  const wallMs = Number(after.at - before.at) / 1e6;
  return (100 * (after.stealMs - before.stealMs)) / (wallMs * cpus().length);
}

// ---------------------------------------------------------------------------------------------
// The two ways of driving load

/** One run of the bare autocannon CLI in a fresh process. */
async function runCli(resources, target, durationS, cpuFile) {
  const args = ['--require', CPU_PROBE, AUTOCANNON_CLI, '-c', String(CONNECTIONS), '-d', String(durationS), '-p', '1', '-j', target.url];
  const targetCpu = (await target.control('/__cpu')).cpuMs;
  const steal = stealSnapshot();
  const proc = spawnNode(resources, args, { BENCH_CPU_OUT: cpuFile }, { cpu: GENERATOR_CPU });
  const { code, signal } = await proc.exited;
  const stolen = stealPct(steal);
  const targetCpuMs = (await target.control('/__cpu')).cpuMs - targetCpu;
  if (code !== 0) throw new Error(`autocannon CLI exited (${signal ?? code}): ${proc.stderr()}`);
  const result = JSON.parse(proc.stdout().trim().split('\n').pop());
  const cpu = JSON.parse(readFileSync(cpuFile, 'utf8'));
  if (result.errors > 0 || result.non2xx > 0) throw new Error(`autocannon CLI: ${result.errors} errors, ${result.non2xx} non-2xx against ${target.url}`);
  const requests = result.requests.total;
  return {
    requests,
    durationS: result.duration,
    rps: requests / result.duration,
    generatorPct: (100 * cpu.cpuMs) / cpu.wallMs,
    cpuUsPerRequest: (cpu.cpuMs * 1000) / requests,
    targetPct: (100 * targetCpuMs) / (result.duration * 1000),
    stealPct: stolen,
  };
}

/** One benchmark_run call on the long-lived perfsop process. */
async function runTool(perfsop, target, durationS) {
  const targetCpu = (await target.control('/__cpu')).cpuMs;
  const cpuBefore = procCpuMs(perfsop.pid);
  const steal = stealSnapshot();
  const result = await perfsop.call({ url: target.url, connections: CONNECTIONS, duration: durationS, pipelining: 1 }, (durationS + 60) * 1000);
  const stolen = stealPct(steal);
  const cpuMs = procCpuMs(perfsop.pid) - cpuBefore;
  const targetCpuMs = (await target.control('/__cpu')).cpuMs - targetCpu;
  const bench = result.structuredContent.benchmarks[0];
  if (bench.errors > 0 || bench.non2xx > 0) throw new Error(`benchmark_run: ${bench.errors} errors, ${bench.non2xx} non-2xx against ${target.url}`);
  const note = bench.notes.map((n) => /load generator used (\d+)% of a core/.exec(n)).find(Boolean);
  return {
    requests: bench.requests,
    durationS: bench.duration,
    // benchmark_run's rps is requests / the duration perfsop measured around the load (durationS).
    rps: bench.requests / bench.duration,
    generatorPct: note ? Number(note[1]) : NaN,
    cpuUsPerRequest: (cpuMs * 1000) / bench.requests,
    targetPct: (100 * targetCpuMs) / (bench.duration * 1000),
    stealPct: stolen,
  };
}

/** perfsop over stdio, in a temp home, with a config naming the immediate target as a component. */
async function startPerfsop(resources, projectDir, home) {
  const server = await connect(resources, {
    label: 'perfsop',
    script: SERVERS.perfsop.script,
    env: () => ({ PERFSOP_HOME: home, PERFSOP_CONFIG: join(projectDir, 'perfsop.config.json'), PERFSOP_LOG_LEVEL: 'silent' }),
  });
  await server.client.listTools(); // as clients do; the SDK then checks structuredContent against outputSchema
  const pid = server.client.transport.pid;
  // Started by the SDK's transport, so pinned after the fact: all its threads (-a).
  if (PIN) execFileSync('taskset', ['-a', '-p', '-c', String(GENERATOR_CPU), String(pid)], { stdio: 'ignore' });
  return {
    pid,
    async call(args, timeout) {
      const result = await server.client.callTool({ name: 'benchmark_run', arguments: args }, undefined, { timeout });
      if (result.isError) throw new Error(`benchmark_run failed: ${result.content?.[0]?.text ?? '?'}`);
      return result;
    },
  };
}

/**
 * The "project" perfsop runs in: a git repository (benchmark_run records the commit, which costs
 * two git calls per run, as it would in a real project) holding perfsop.config.json.
 */
function writeProject(projectDir, component) {
  const config = { components: { target: { url: component.url, ready: '/__ready' } } };
  writeFileSync(join(projectDir, 'perfsop.config.json'), `${JSON.stringify(config, null, 2)}\n`);
  const git = (...args) =>
    execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@localhost', '-c', 'commit.gpgsign=false', ...args], { cwd: projectDir, stdio: 'ignore' });
  try {
    git('init', '-q');
    git('add', '.');
    git('commit', '-q', '-m', 'bench project');
    return true;
  } catch {
    return false; // no git: benchmark_run records no commit, and the overhead leaves git out
  }
}

// ---------------------------------------------------------------------------------------------
// Measurements

async function measureThroughput(resources, perfsop, targets, tmp) {
  const results = [];
  let cliRun = 0;
  const cli = (target, durationS) => runCli(resources, target, durationS, join(tmp, `cli-cpu-${cliRun++}.json`));
  for (const target of targets) {
    if (WARMUP_S > 0) {
      // Untimed: the target's and perfsop's JIT warm up (the CLI is a fresh process every run).
      await cli(target, WARMUP_S);
      await runTool(perfsop, target, WARMUP_S);
    }
    const pairs = [];
    for (let i = 0; i < PAIRS; i++) {
      resources.checkBudget();
      const cliFirst = i % 2 === 0;
      const pair = { order: cliFirst ? 'CLI, tool' : 'tool, CLI' };
      if (cliFirst) pair.cli = await cli(target, DURATION_S);
      pair.tool = await runTool(perfsop, target, DURATION_S);
      if (!cliFirst) pair.cli = await cli(target, DURATION_S);
      pair.ratio = pair.tool.rps / pair.cli.rps;
      pairs.push(pair);
      process.stderr.write(
        `${target.name} pair ${i + 1}/${PAIRS}: CLI ${fmtInt(pair.cli.rps)} req/s, benchmark_run ${fmtInt(pair.tool.rps)} req/s, ratio ${pair.ratio.toFixed(3)}\n`,
      );
    }
    results.push({ target, pairs, ...pairedRatio(pairs.map((p) => p.cli.rps), pairs.map((p) => p.tool.rps)) });
  }
  return results;
}

/**
 * Ratio of means mean(b) / mean(a), with a 95% interval from the paired differences b_i - a_i
 * (t interval over pairs), divided by mean(a): the denominator's own uncertainty is left out.
 */
function pairedRatio(a, b) {
  const n = a.length;
  const mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const meanA = mean(a);
  const meanB = mean(b);
  const diffs = b.map((x, i) => x - a[i]);
  const meanD = mean(diffs);
  const sd = n > 1 ? Math.sqrt(diffs.reduce((s, d) => s + (d - meanD) ** 2, 0) / (n - 1)) : NaN;
  const half = (t95(n - 1) * sd) / Math.sqrt(n);
  return { meanCli: meanA, meanTool: meanB, ratio: meanB / meanA, low: (meanA + meanD - half) / meanA, high: (meanA + meanD + half) / meanA };
}

async function measureBreakdown(resources, target) {
  const runs = Object.fromEntries(BREAKDOWN_MODES.map(({ mode }) => [mode, { cold: [], warm: [] }]));
  for (let round = 0; round < BREAKDOWN_ROUNDS; round++) {
    // Rotate which mode goes first, so a noisy moment does not always land on the same one.
    for (let j = 0; j < BREAKDOWN_MODES.length; j++) {
      resources.checkBudget();
      const { mode } = BREAKDOWN_MODES[(round + j) % BREAKDOWN_MODES.length];
      const proc = spawnNode(resources, [DRIVER_SCRIPT, mode, target.url, String(CONNECTIONS), String(BREAKDOWN_S)], {}, { cpu: GENERATOR_CPU });
      const { code, signal } = await proc.exited;
      if (code !== 0) throw new Error(`driver ${mode} exited (${signal ?? code}): ${proc.stderr()}`);
      const result = JSON.parse(proc.stdout().trim());
      for (const phase of ['cold', 'warm']) {
        const r = result[phase];
        runs[mode][phase].push({ rps: r.requests / r.durationS, cpuUsPerRequest: (r.cpuMs * 1000) / r.requests, cpuPct: (100 * r.cpuMs) / r.wallMs });
      }
    }
    process.stderr.write(`breakdown round ${round + 1}/${BREAKDOWN_ROUNDS} done\n`);
  }
  const mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;
  return BREAKDOWN_MODES.flatMap(({ mode, label }) =>
    ['cold', 'warm'].map((phase) => ({
      key: `${mode}-${phase}`,
      label: `${label} (${phase})`,
      runs: runs[mode][phase].length,
      rps: mean(runs[mode][phase].map((r) => r.rps)),
      cpuUsPerRequest: mean(runs[mode][phase].map((r) => r.cpuUsPerRequest)),
      cpuPct: mean(runs[mode][phase].map((r) => r.cpuPct)),
    })),
  );
}

/**
 * What one 'response' event costs the generator, alone: autocannon's tracker.emit('response', ...)
 * on an EventEmitter with no listener, a no-op listener, and perfsop's listener body, called in a
 * loop with latencies from a seeded PRNG. ns per response, the median of the timed rounds.
 */
function measureListenerCost() {
  const rng = createRng(SEED);
  const latencies = Float64Array.from({ length: 4096 }, () => 0.05 + 2 * rng() * rng());
  const client = {};
  const variants = [
    { key: 'none', label: 'no listener', attach: () => {} },
    { key: 'noop', label: 'no-op listener', attach: (ee) => ee.on('response', () => {}) },
    { key: 'perfsop', label: "perfsop's listener body", attach: (ee) => ee.on('response', perfsopListener()) },
  ];
  const samples = Object.fromEntries(variants.map((v) => [v.key, []]));
  const emitters = variants.map((v) => {
    const ee = new EventEmitter();
    v.attach(ee);
    return ee;
  });
  const loop = (ee, n) => {
    for (let i = 0; i < n; i++) ee.emit('response', client, 200, 120, latencies[i & 4095]);
  };
  for (const ee of emitters) loop(ee, LISTENER_CALLS / 5); // warm-up: JIT
  for (let round = 0; round < LISTENER_ROUNDS; round++) {
    variants.forEach((v, i) => {
      const start = process.hrtime.bigint();
      loop(emitters[i], LISTENER_CALLS);
      samples[v.key].push(Number(process.hrtime.bigint() - start) / LISTENER_CALLS);
    });
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return variants.map((v) => ({ key: v.key, label: v.label, ns: median(samples[v.key]) }));
}

/** One benchmark_run call: ms from sending tools/call to the target's first load connection and request. */
async function overheadOnce(perfsop, target, args) {
  await target.control('/__reset');
  const sent = process.hrtime.bigint();
  await perfsop.call(args, 60_000);
  const answered = process.hrtime.bigint();
  const first = await target.control('/__first');
  if (!first) throw new Error(`benchmark_run ${JSON.stringify(args)} sent no load to ${target.url}`);
  const ms = (ns) => Number(BigInt(ns) - sent) / 1e6;
  return { connectMs: ms(first.connectNs), requestMs: ms(first.requestNs), callMs: Number(answered - sent) / 1e6 };
}

async function measureOverhead(resources, perfsop, target, projectDir) {
  const adhoc = { url: target.url, connections: CONNECTIONS, amount: OVERHEAD_AMOUNT };
  const component = { component: 'target', connections: CONNECTIONS, amount: OVERHEAD_AMOUNT };
  // The first benchmark_run of a fresh perfsop process also loads autocannon and the run store.
  const cold = await overheadOnce(perfsop, target, adhoc);
  const samples = { adhoc: [], component: [] };
  for (let i = 0; i < OVERHEAD_CALLS; i++) {
    resources.checkBudget();
    // Alternate which kind goes first.
    const kinds = i % 2 === 0 ? ['adhoc', 'component'] : ['component', 'adhoc'];
    for (const kind of kinds) samples[kind].push(await overheadOnce(perfsop, target, kind === 'adhoc' ? adhoc : component));
  }
  const describe = (list) => ({
    connect: summarize(list.map((s) => s.connectMs)),
    request: { ...summarize(list.map((s) => s.requestMs)), max: Math.max(...list.map((s) => s.requestMs)) },
    call: summarize(list.map((s) => s.callMs)),
  });
  // For reference: the part of each call spent recording the project's git state (two git
  // processes, one after the other), timed here with perfsop's own function.
  const git = [];
  for (let i = 0; i < OVERHEAD_CALLS; i++) {
    const start = process.hrtime.bigint();
    await gitState(projectDir);
    git.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return { cold, adhoc: describe(samples.adhoc), component: describe(samples.component), git: summarize(git) };
}

// ---------------------------------------------------------------------------------------------
// Report

const medianOf = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const pct = (x) => (Number.isFinite(x) ? `${Math.round(x)}%` : 'n/a');
const fixed = (x, digits = 3) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');

function report({ throughput, breakdown, listener, overhead, gitProject, seconds }, context) {
  const summaryRows = throughput.map((r) => [
    `${r.target.name} (${r.target.describe})`,
    r.pairs.length,
    fmtInt(r.meanCli),
    fmtInt(r.meanTool),
    `**${fixed(r.ratio)}**`,
    `${fixed(r.low)} to ${fixed(r.high)}`,
    fixed(medianOf(r.pairs.map((p) => p.ratio))),
    r.ratio < TARGET_RATIO ? '**not met**' : !Number.isFinite(r.low) ? 'met (one pair: no interval)' : r.low >= TARGET_RATIO ? 'met' : 'met (interval reaches below)',
  ]);
  const pairRows = throughput.flatMap((r) =>
    r.pairs.map((p, i) => [
      r.target.name,
      i + 1,
      p.order,
      fmtInt(p.cli.rps),
      fmtInt(p.tool.rps),
      fixed(p.ratio),
      `${fixed(p.cli.durationS, 2)} / ${fixed(p.tool.durationS, 2)}`,
      `${pct(p.cli.generatorPct)} / ${pct(p.tool.generatorPct)}`,
      `${fixed(p.cli.cpuUsPerRequest, 1)} / ${fixed(p.tool.cpuUsPerRequest, 1)}`,
      `${pct(p.cli.targetPct)} / ${pct(p.tool.targetPct)}`,
      `${fixed(p.cli.stealPct, 1)}% / ${fixed(p.tool.stealPct, 1)}%`,
    ]),
  );
  const mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const cpuRows = throughput.map((r) => {
    const cli = mean(r.pairs.map((p) => p.cli.cpuUsPerRequest));
    const tool = mean(r.pairs.map((p) => p.tool.cpuUsPerRequest));
    return [r.target.name, fixed(cli, 1), fixed(tool, 1), `${fixed(tool / cli, 2)}x`, `${pct(mean(r.pairs.map((p) => p.cli.targetPct)))} / ${pct(mean(r.pairs.map((p) => p.tool.targetPct)))}`];
  });

  const lines = [
    '### Load generation',
    '',
    ...contextLines(context),
    `Total run time ${seconds} s.`,
    '',
    '#### Requests/s: benchmark_run against the bare autocannon CLI, same target, same options',
    '',
    markdownTable(['target', 'pairs', 'CLI req/s (mean)', 'benchmark_run req/s (mean)', 'ratio of means', '95% interval', 'median pair ratio', `target >= ${TARGET_RATIO}`], summaryRows),
    '',
    markdownTable(
      ['target', 'pair', 'order', 'CLI req/s', 'benchmark_run req/s', 'ratio', 'measured s (CLI / tool)', 'generator CPU (CLI / tool)', 'generator CPU µs per request (CLI / tool)', 'target CPU (CLI / tool runs)', 'steal (CLI / tool runs)'],
      pairRows,
    ),
    '',
    markdownTable(['target', 'CLI CPU µs per request', 'benchmark_run CPU µs per request', 'tool / CLI', 'target CPU (CLI / tool runs)'], cpuRows),
  ];
  if (breakdown) {
    const bare = breakdown.find((b) => b.key === 'bare-cold');
    lines.push(
      '',
      `#### Where the generator's CPU goes: in-process drivers against the immediate target (a fresh process per mode and round: a cold ${BREAKDOWN_S} s run, then a warm one in the same process)`,
      '',
      markdownTable(
        ['driver', 'runs', 'req/s (mean)', 'vs bare', 'CPU µs per request', 'vs bare', 'CPU share of a core'],
        breakdown.map((b) => [b.label, b.runs, fmtInt(b.rps), fixed(b.rps / bare.rps), fixed(b.cpuUsPerRequest, 2), `${fixed(b.cpuUsPerRequest / bare.cpuUsPerRequest, 3)}x`, pct(b.cpuPct)]),
      ),
    );
  }
  const none = listener.find((l) => l.key === 'none').ns;
  const perRequestNs = (breakdown ? breakdown.find((b) => b.key === 'bare-cold').cpuUsPerRequest : mean(throughput[0].pairs.map((p) => p.cli.cpuUsPerRequest))) * 1000;
  lines.push(
    '',
    `#### One 'response' event alone: autocannon's \`emit('response', ...)\` in a loop (${LISTENER_CALLS.toLocaleString('en-US')} calls, median of ${LISTENER_ROUNDS} rounds, seeded latencies)`,
    '',
    markdownTable(
      ['listener', 'ns per response', 'added to no listener, ns', `share of the generator's CPU per request (${fixed(perRequestNs / 1000, 1)} µs, bare driver cold)`],
      listener.map((l) => [l.label, fixed(l.ns, 1), l.key === 'none' ? '' : fixed(l.ns - none, 1), l.key === 'none' ? '' : `${fixed((100 * (l.ns - none)) / perRequestNs, 2)}%`]),
    ),
  );
  const overheadRow = (label, o) => [label, o.request.n, fmtMs(o.connect.p50), fmtMs(o.request.p50), fmtMs(o.request.min), fmtMs(o.request.max), fmtMs(o.call.p50)];
  lines.push(
    '',
    `#### Tool-call overhead: from sending tools/call to the first load request at the target (${CONNECTIONS} connections, amount ${OVERHEAD_AMOUNT})`,
    '',
    markdownTable(
      ['benchmark_run call', 'calls', 'to first connection accepted p50 ms', 'to first request parsed p50 ms', 'min ms', 'max ms', 'whole call p50 ms'],
      [
        overheadRow('ad-hoc `url`', overhead.adhoc),
        overheadRow('config `component`, already running', overhead.component),
        ['first call of a fresh perfsop process (ad-hoc `url`)', 1, fmtMs(overhead.cold.connectMs), fmtMs(overhead.cold.requestMs), '', '', fmtMs(overhead.cold.callMs)],
      ],
    ),
    '',
    `Part of it, timed alone in the benchmark process: recording the project's git state (perfsop's \`gitState\`: \`git rev-parse HEAD\`, then \`git status --porcelain\`), p50 ${fmtMs(overhead.git.p50)} ms, min ${fmtMs(overhead.git.min)} ms over ${overhead.git.n} calls` +
      (gitProject ? '.' : ' (git was not available: it fails at once).'),
    '',
    `- Targets: \`bench/load/target-server.mjs\`, one node process each (\`GET /\` answers \`ok\`, 3 bytes, keep-alive); the immediate one answers in the request handler, the other after \`setTimeout(${DELAY_MS})\`. ` +
      `On this ${cpus().length}-core machine the target and the load generator get one core each: node runs JavaScript on one thread` +
      (PIN ? `, and \`--pin\` fixed them with taskset (targets on CPU ${TARGET_CPU}, the CLI, perfsop and the drivers on CPU ${GENERATOR_CPU}).` : '; nothing pins them to a core (the kernel places them; `--pin` would).'),
    `- Every run: ${CONNECTIONS} connections, pipelining 1, ${DURATION_S} s. The CLI is \`node node_modules/autocannon/autocannon.js -c ${CONNECTIONS} -d ${DURATION_S} -p 1 -j URL\`, a fresh process per run; ` +
      'benchmark_run is called with `{url, connections, duration, pipelining: 1}` by an SDK Client over stdio on one perfsop process that lives through the whole benchmark, so perfsop\'s start-up is not in its figures.',
    `- ${PAIRS} pairs per target, the order flipping every pair (CLI first, then benchmark_run first, ...), after one untimed ${WARMUP_S} s run of each. ` +
      'req/s = responses / seconds, each tool\'s own count and clock: the CLI\'s `requests.total / duration` (its JSON), benchmark_run\'s `requests / duration` (its structuredContent; this is how it computes `rps`). ' +
      'autocannon stops on its next one-second tick after the duration, so a run lasts D or D + 1 s; dividing by each measured duration keeps that out of the ratio.',
    `- Ratio of means = mean(benchmark_run req/s) / mean(CLI req/s); the 95% interval is a t interval of the paired differences over the ${PAIRS} pairs, divided by the CLI mean. ` +
      'Steal: the hypervisor\'s steal time (/proc/stat) over the run, as a share of both CPUs\' time: CPU this VM wanted and the host gave elsewhere; a pair where one run has much more of it than the other was disturbed by a neighbour.',
    '- Generator CPU: for benchmark_run, its own note ("the load generator used N% of a core", process.cpuUsage around the load); for the CLI, process.cpuUsage from when its main module has started (a preloaded probe, `bench/load/cpu-probe.cjs`) to exit, over that wall time. ' +
      'CPU µs per request: the CLI\'s probe, and the perfsop process\'s CPU over the whole tools/call from /proc (10 ms ticks). Target CPU: the target\'s own process.cpuUsage over the run, per measured second.',
    '- Breakdown: `bench/load/driver.mjs`, one fresh process per mode and round (modes in rotating order), measuring its first run (cold, as every CLI run is) and then a second one (warm, as benchmark_run on a long-lived perfsop is); ' +
      'CPU is process.cpuUsage() around each run. The per-event loop isolates what the listener adds per response; in a tight loop it is a lower bound (caches are warmer than during real load).',
    `- Overhead: both ends read process.hrtime.bigint(), which is CLOCK_MONOTONIC on Linux: one clock for all processes of the host, unaffected by NTP steps. ` +
      '(performance.timeOrigin + performance.now() would add each process\'s own reading of the wall clock at its start, so two processes can disagree by that reading\'s error and by any clock adjustment between their starts.) ' +
      'The client reads the clock right before `client.callTool`; the target records when it accepts the connection that carries the first load request after `GET /__reset`, and when that request\'s handler runs. ' +
      `${OVERHEAD_CALLS} calls of each kind, alternating, after one cold call on the fresh perfsop process. The component benchmark names a component whose url is the immediate target, so perfsop finds it answering (one readiness GET on \`/__ready\`, not counted as load) and does not start it. ` +
      (gitProject
        ? 'perfsop runs in a temp project that is a one-commit git repository, so each call runs its two git commands (commit and dirty state) as it would in a real project.'
        : 'git was not available, so the calls ran no git commands.'),
  );
  return lines.join('\n');
}

async function main() {
  const context = runContext('bench/load/run.mjs', 'bench:load');
  process.stderr.write(`bench:load: about ${Math.round(ESTIMATE_S)} s (time budget ${Math.round(BUDGET_MS / 1000)} s)\n`);
  const started = Date.now();
  const results = await withResources(BUDGET_MS, async (resources) => {
    const tmp = await resources.tempDir('perfsop-bench-load-');
    const home = join(tmp, 'home');
    const projectDir = join(tmp, 'project');
    mkdirSync(home);
    mkdirSync(projectDir);
    const targets = [];
    for (const target of TARGETS) targets.push(await startTarget(resources, target));
    const gitProject = writeProject(projectDir, targets[0]);
    const perfsop = await startPerfsop(resources, projectDir, home);

    process.stderr.write('overhead...\n');
    const overhead = await measureOverhead(resources, perfsop, targets[0], projectDir);
    process.stderr.write('throughput...\n');
    const throughput = await measureThroughput(resources, perfsop, targets, tmp);
    const breakdown = BREAKDOWN_ROUNDS > 0 ? await measureBreakdown(resources, targets[0]) : undefined;
    const listener = measureListenerCost();
    return { throughput, breakdown, listener, overhead, gitProject };
  });
  const text = report({ ...results, seconds: Math.round((Date.now() - started) / 1000) }, context);
  process.stdout.write(`${text}\n`);
  if (options.write) process.stderr.write(`\nwrote ${writeSection('load', text)}\n`);
}

main().catch((error) => {
  process.stderr.write(`bench:load failed: ${error?.stack ?? error}\n`);
  process.exitCode = 1;
});
