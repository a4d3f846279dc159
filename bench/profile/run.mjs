#!/usr/bin/env node
// Profiler benchmark: what does profiling cost the service, and how long does bottleneck_analyze
// take to analyze a large .cpuprofile?
//
//   node bench/profile/run.mjs [--rounds 5] [--duration 8] [--warmup 2] [--connections 10]
//                              [--variants slow,optimized] [--profile-mb 100] [--profile-runs 3]
//                              [--skip-big-profile] [--skip-overhead] [--write]
//
// 1. Overhead. The example checkout service (examples/checkout-service/server.mjs; POST
//    /api/checkout {"items":15}, as perfsop.config.json loads it), its slow variant and its
//    optimized one, each run three ways (bench/profile/services.mjs): unprofiled, under perfsop's
//    agent as bottleneck_analyze injects and drives it, and under 0x. Rounds of the three modes, the
//    order rotating each round, each run a fresh service process: --warmup s of untimed load, then
//    --duration s measured, with autocannon's API in this process and the same options for every
//    mode. Targets: perfsop's overhead (1 - req/s / unprofiled req/s) at most 10%, and below 0x's.
// 2. Offline analysis. A synthetic --profile-mb MB .cpuprofile (bench/profile/synthetic-profile.mjs,
//    seeded), then --profile-runs times, alternating: (a) a fresh process running the offline path's
//    steps one by one (bench/profile/analyze-file.mjs: read, JSON.parse, analyzeCpuProfile, findings,
//    flame graph), and (b) the whole tool call, `node dist/src/cli.js call bottleneck_analyze
//    '{"profile": ...}'`, wall time. Target: under 5 s.
//
// Every process started here is stopped, and every temp folder removed, also on error or Ctrl-C.
// --write updates the profile section of bench/RESULTS.md. Runs on the built dist/
// (npm run bench:profile builds first). About 7 minutes with the defaults.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { createRng } from '../lib/prng.mjs';
import { contextLines, runContext, writeSection } from '../lib/results-file.mjs';
import { withResources } from '../lib/resources.mjs';
import { ROOT } from '../lib/servers.mjs';
import { fmtInt, fmtMs, markdownTable, percentile } from '../lib/stats.mjs';
import { procCpuMs, startService } from './services.mjs';
import { APP_ROOT, writeSyntheticProfile } from './synthetic-profile.mjs';

const { values: options } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    duration: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '10' },
    variants: { type: 'string', default: 'slow,optimized' },
    'profile-mb': { type: 'string', default: '100' },
    'profile-runs': { type: 'string', default: '3' },
    'skip-big-profile': { type: 'boolean', default: false },
    'skip-overhead': { type: 'boolean', default: false },
    write: { type: 'boolean', default: false },
  },
});

function positive(name, { integer = true, zero = false } = {}) {
  const value = Number(options[name]);
  const ok = Number.isFinite(value) && (integer ? Number.isInteger(value) : true) && (zero ? value >= 0 : value > 0);
  if (!ok) throw new Error(`--${name} must be a ${zero ? 'non-negative' : 'positive'} ${integer ? 'integer' : 'number'}, got "${options[name]}"`);
  return value;
}

const ROUNDS = positive('rounds');
const DURATION_S = positive('duration');
const WARMUP_S = positive('warmup', { zero: true });
const CONNECTIONS = positive('connections');
const PROFILE_MB = positive('profile-mb', { integer: false });
const PROFILE_RUNS = positive('profile-runs');
const VARIANTS = options.variants.split(',').map((v) => v.trim()).filter(Boolean);
for (const v of VARIANTS) if (v !== 'slow' && v !== 'optimized') throw new Error(`--variants: "${v}" is neither slow nor optimized`);
const OVERHEAD = !options['skip-overhead'] && VARIANTS.length > 0;
const BIG_PROFILE = !options['skip-big-profile'];

const MODES = [
  { key: 'unprofiled', label: 'unprofiled' },
  { key: 'perfsop', label: "perfsop's agent" },
  { key: '0x', label: '0x' },
];
const REQUEST = { path: '/api/checkout', method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ items: 15 }) };
const MAX_OVERHEAD = 0.1;
const MAX_ANALYSIS_S = 5;
const BOOTSTRAP_RESAMPLES = 10_000;
const SEED = 0x9f0f;
const CLI = join(ROOT, 'dist/src/cli.js');
const ANALYZE_FILE = join(ROOT, 'bench/profile/analyze-file.mjs');
const RSS_PROBE = join(ROOT, 'bench/profile/rss-probe.cjs');

// Per run: start (~1 s), warm-up and measurement (autocannon ends on its next one-second tick),
// stop; 0x then spends several seconds turning its log into ticks. The budget leaves room.
const ESTIMATE_S =
  (OVERHEAD ? VARIANTS.length * ROUNDS * (3 * (1.5 + (WARMUP_S > 0 ? WARMUP_S + 1 : 0) + DURATION_S + 1 + 0.5) + 8) : 0) +
  (BIG_PROFILE ? 5 + PROFILE_RUNS * 2 * (PROFILE_MB / 100) * 7 : 0) +
  5;
const BUDGET_MS = Math.round(ESTIMATE_S * 2 + 120) * 1000;

// Two-sided 95% Student t quantiles by degrees of freedom (1.96 beyond the table).
const T95 = [NaN, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086];
const t95 = (df) => T95[df] ?? 1.96;
const mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;
const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/**
 * The machine's CPU counters so far (ms, all CPUs, from /proc/stat's first line): busy time
 * (user, nice, system, irq, softirq) and the hypervisor's steal time (CPU this VM was ready to use
 * but the host gave to someone else), with this process's own CPU, to tell apart what the run used
 * and what other processes of the VM (a parallel test run) took.
 */
function machineSnapshot() {
  const self = process.cpuUsage();
  const at = process.hrtime.bigint();
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
    const ms = (ticks) => (ticks / 100) * 1000;
    return { busyMs: ms(f[0] + f[1] + f[2] + f[5] + f[6]), stealMs: ms(f[7] ?? 0), selfMs: (self.user + self.system) / 1000, at };
  } catch {
    return { busyMs: NaN, stealMs: NaN, selfMs: (self.user + self.system) / 1000, at };
  }
}

/** Over a run, as shares of all CPUs' time: steal, and busy time of processes other than `oursMs` and this one. */
function machineShares(before, oursMs) {
  const after = machineSnapshot();
  const capacity = (Number(after.at - before.at) / 1e6) * cpus().length;
  const others = after.busyMs - before.busyMs - (after.selfMs - before.selfMs) - oursMs;
  return { stealPct: (100 * (after.stealMs - before.stealMs)) / capacity, othersPct: Math.max(0, (100 * others) / capacity) };
}

// ---------------------------------------------------------------------------------------------
// 1. Overhead

/** One autocannon run in this process; `latencies` (ms) receives every response's latency. */
function load(resources, url, durationS, latencies) {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      { url: `${url}${REQUEST.path}`, method: REQUEST.method, headers: REQUEST.headers, body: REQUEST.body, connections: CONNECTIONS, pipelining: 1, duration: durationS },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
    if (latencies) instance.on('response', (client, status, bytes, ms) => latencies.push(ms));
    resources.add(() => instance.stop());
  });
}

/** One run: a fresh service in `mode`, warm-up, the measured load, stop. */
async function measureRun(resources, tmp, { variant, mode, round }) {
  const runDir = join(tmp, `${variant}-${round}-${mode}`);
  mkdirSync(runDir);
  try {
    const service = await startService(resources, { mode, optimized: variant === 'optimized', runDir });
    if (WARMUP_S > 0) await load(resources, service.url, WARMUP_S);
    const latencies = [];
    const cpuBefore = procCpuMs(service.servicePid);
    const wrapperBefore = service.wrapperPid ? procCpuMs(service.wrapperPid) : NaN;
    const machine = machineSnapshot();
    const result = await load(resources, service.url, DURATION_S, latencies);
    const cpuMs = procCpuMs(service.servicePid) - cpuBefore;
    const wrapperMs = service.wrapperPid ? procCpuMs(service.wrapperPid) - wrapperBefore : NaN;
    const shares = machineShares(machine, cpuMs + (Number.isFinite(wrapperMs) ? wrapperMs : 0));
    const stop = await service.stop();
    if (result.errors > 0 || result.non2xx > 0 || result.timeouts > 0) {
      throw new Error(`${variant} ${mode}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx responses`);
    }
    const requests = result.requests.total;
    const sorted = latencies.sort((a, b) => a - b);
    return {
      variant,
      mode,
      round,
      requests,
      durationS: result.duration,
      rps: requests / result.duration,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      cpuPct: (100 * cpuMs) / (result.duration * 1000),
      cpuUsPerRequest: (cpuMs * 1000) / requests,
      wrapperPct: (100 * wrapperMs) / (result.duration * 1000),
      ...shares,
      stop,
    };
  } finally {
    rmSync(runDir, { recursive: true, force: true }); // the slow variant logs ~30 KB per request
  }
}

async function measureOverhead(resources, tmp) {
  const runs = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const variant of VARIANTS) {
      for (let j = 0; j < MODES.length; j++) {
        resources.checkBudget();
        const mode = MODES[(round + j) % MODES.length].key;
        const run = await measureRun(resources, tmp, { variant, mode, round });
        run.position = j + 1;
        runs.push(run);
        process.stderr.write(
          `round ${round + 1}/${ROUNDS} ${variant} ${mode}: ${fmtInt(run.rps)} req/s, p50 ${fmtMs(run.p50)} ms, service CPU ${Math.round(run.cpuPct)}%, stop ${fmtInt(run.stop.stopMs)} ms\n`,
        );
      }
    }
  }
  return VARIANTS.map((variant) => summarizeVariant(variant, runs.filter((r) => r.variant === variant)));
}

/** Per mode: mean req/s with a t interval; overheads against unprofiled with a paired bootstrap. */
function summarizeVariant(variant, runs) {
  const byMode = Object.fromEntries(MODES.map(({ key }) => [key, Array.from({ length: ROUNDS }, (_, round) => runs.find((r) => r.mode === key && r.round === round))]));
  const rps = Object.fromEntries(MODES.map(({ key }) => [key, byMode[key].map((r) => r.rps)]));
  const overheadOf = (key, idx) => 1 - mean(idx.map((i) => rps[key][i])) / mean(idx.map((i) => rps.unprofiled[i]));
  // Rounds are the unit: resampling a round takes all three modes of it, which ran side by side.
  const rng = createRng(SEED);
  const boot = { perfsop: [], '0x': [], difference: [] };
  for (let b = 0; b < BOOTSTRAP_RESAMPLES; b++) {
    const idx = Array.from({ length: ROUNDS }, () => Math.floor(rng() * ROUNDS));
    const perfsop = overheadOf('perfsop', idx);
    const zerox = overheadOf('0x', idx);
    boot.perfsop.push(perfsop);
    boot['0x'].push(zerox);
    boot.difference.push(zerox - perfsop);
  }
  const all = Array.from({ length: ROUNDS }, (_, i) => i);
  const interval = (xs) => {
    const sorted = [...xs].sort((a, b) => a - b);
    return [sorted[Math.floor(0.025 * sorted.length)], sorted[Math.ceil(0.975 * sorted.length) - 1]];
  };
  const modes = MODES.map(({ key, label }) => {
    const xs = rps[key];
    const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean(xs)) ** 2, 0) / Math.max(1, xs.length - 1));
    const half = xs.length > 1 ? (t95(xs.length - 1) * sd) / Math.sqrt(xs.length) : NaN;
    return {
      key,
      label,
      runs: byMode[key],
      rps: mean(xs),
      rpsLow: mean(xs) - half,
      rpsHigh: mean(xs) + half,
      p50: median(byMode[key].map((r) => r.p50)),
      p99: median(byMode[key].map((r) => r.p99)),
      cpuUsPerRequest: mean(byMode[key].map((r) => r.cpuUsPerRequest)),
      cpuPct: mean(byMode[key].map((r) => r.cpuPct)),
      ...(key === 'unprofiled' ? {} : { overhead: overheadOf(key, all), overheadInterval: interval(boot[key]), roundOverheads: all.map((i) => 1 - rps[key][i] / rps.unprofiled[i]) }),
    };
  });
  const baseCpu = modes.find((m) => m.key === 'unprofiled').cpuUsPerRequest;
  for (const m of modes) m.cpuChange = m.cpuUsPerRequest / baseCpu - 1;
  return { variant, runs, modes, difference: { value: overheadOf('0x', all) - overheadOf('perfsop', all), interval: interval(boot.difference) } };
}

// ---------------------------------------------------------------------------------------------
// 2. Offline analysis of a big .cpuprofile

/** Runs `node args` to its end; wall ms, stdout, exit code. */
function runNode(resources, args, { env = {}, cwd = ROOT } = {}) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4096)));
    const closer = resources.add(() => {
      if (child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }
    });
    child.once('error', reject);
    child.once('close', (code, signal) => {
      void closer();
      resolve({ wallMs: Number(process.hrtime.bigint() - started) / 1e6, code, signal, stdout, stderr });
    });
  });
}

async function measureAnalysis(resources, tmp) {
  const file = join(tmp, 'big.cpuprofile');
  process.stderr.write(`writing a ${PROFILE_MB} MB .cpuprofile...\n`);
  const generateStart = process.hrtime.bigint();
  const info = writeSyntheticProfile(file, { targetBytes: Math.round(PROFILE_MB * 1e6) });
  info.generateMs = Number(process.hrtime.bigint() - generateStart) / 1e6;
  const appRoot = join(APP_ROOT, 'src');
  const steps = [];
  const calls = [];
  for (let i = 0; i < PROFILE_RUNS; i++) {
    resources.checkBudget();
    const order = i % 2 === 0 ? ['steps', 'call'] : ['call', 'steps'];
    for (const kind of order) {
      if (kind === 'steps') {
        const r = await runNode(resources, [ANALYZE_FILE, file, appRoot]);
        if (r.code !== 0) throw new Error(`analyze-file exited (${r.signal ?? r.code}): ${r.stderr}`);
        const out = JSON.parse(r.stdout.trim().split('\n').pop());
        out.wallMs = r.wallMs;
        steps.push(out);
        process.stderr.write(`analysis ${i + 1}/${PROFILE_RUNS}: read + parse + analyze ${fmtInt(out.ms.read + out.ms.parse + out.ms.validate + out.ms.analyze)} ms\n`);
      } else {
        const home = join(tmp, `home-${i}`);
        mkdirSync(home);
        const probe = join(tmp, `probe-${i}.json`);
        const r = await runNode(resources, ['--require', RSS_PROBE, CLI, 'call', 'bottleneck_analyze', JSON.stringify({ profile: file })], {
          cwd: home,
          env: { PERFSOP_HOME: home, PERFSOP_DB: join(home, 'perfsop.db'), PERFSOP_LOG_LEVEL: 'silent', BENCH_PROBE_OUT: probe },
        });
        if (r.code !== 0 || !/offline: \d+ samples/.test(r.stdout)) throw new Error(`perfsop call bottleneck_analyze exited (${r.signal ?? r.code}): ${r.stdout.slice(-2000)}\n${r.stderr}`);
        const usage = existsSync(probe) ? JSON.parse(readFileSync(probe, 'utf8')) : {};
        calls.push({ wallMs: r.wallMs, ...usage });
        process.stderr.write(`tool call ${i + 1}/${PROFILE_RUNS}: ${fmtInt(r.wallMs)} ms\n`);
      }
    }
  }
  return { info, steps, calls };
}

// ---------------------------------------------------------------------------------------------
// Report

const pct = (x, digits = 1) => (Number.isFinite(x) ? `${(100 * x).toFixed(digits)}%` : 'n/a');
const fixed = (x, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');
const seconds = (ms) => (ms / 1000).toFixed(2);

function verdict(value, limit, interval, lowerIsBetter = true) {
  const met = lowerIsBetter ? value <= limit : value > limit;
  if (!met) return '**not met**';
  const firm = lowerIsBetter ? interval[1] <= limit : interval[0] > limit;
  return firm ? 'met' : 'met (interval reaches past the target)';
}

function overheadLines(variants) {
  const lines = [];
  const summaryRows = variants.flatMap((v) =>
    v.modes.map((m) => [
      v.variant,
      m.label,
      m.runs.length,
      `**${fmtInt(m.rps)}**`,
      Number.isFinite(m.rpsLow) ? `${fmtInt(m.rpsLow)} to ${fmtInt(m.rpsHigh)}` : 'n/a (one round)',
      fmtMs(m.p50),
      fmtMs(m.p99),
      `${Math.round(m.cpuPct)}%`,
      fixed(m.cpuUsPerRequest, 0),
      m.key === 'unprofiled' ? '' : `${m.cpuChange >= 0 ? '+' : ''}${pct(m.cpuChange, 0)}`,
      m.overhead === undefined ? '' : `**${pct(m.overhead)}**`,
      m.overhead === undefined ? '' : `${pct(m.overheadInterval[0])} to ${pct(m.overheadInterval[1])}`,
      m.overhead === undefined ? '' : pct(median(m.roundOverheads)),
      m.overhead === undefined ? '' : m.roundOverheads.map((x) => pct(x, 0)).join(', '),
    ]),
  );
  const targetRows = variants.flatMap((v) => {
    const perfsop = v.modes.find((m) => m.key === 'perfsop');
    const zerox = v.modes.find((m) => m.key === '0x');
    return [
      [`perfsop's overhead <= ${pct(MAX_OVERHEAD, 0)}`, v.variant, `${pct(perfsop.overhead)} (95% interval ${pct(perfsop.overheadInterval[0])} to ${pct(perfsop.overheadInterval[1])})`, verdict(perfsop.overhead, MAX_OVERHEAD, perfsop.overheadInterval)],
      [
        "perfsop's overhead < 0x's",
        v.variant,
        `${pct(perfsop.overhead)} vs ${pct(zerox.overhead)}: 0x's minus perfsop's ${fixed(100 * v.difference.value)} points (95% interval ${fixed(100 * v.difference.interval[0])} to ${fixed(100 * v.difference.interval[1])})`,
        verdict(v.difference.value, 0, v.difference.interval, false),
      ],
    ];
  });
  const runRows = variants.flatMap((v) =>
    [...v.runs]
      .sort((a, b) => a.round - b.round || a.position - b.position)
      .map((r) => [
        v.variant,
        r.round + 1,
        r.position,
        r.mode,
        fmtInt(r.rps),
        fmtMs(r.p50),
        fmtMs(r.p99),
        `${Math.round(r.cpuPct)}%`,
        fixed(r.cpuUsPerRequest, 0),
        `${fixed(r.stealPct)}% / ${Math.round(r.othersPct)}%`,
        r.mode === 'perfsop'
          ? `session.stop ${fmtInt(r.stop.stopMs)} ms; .cpuprofile ${fixed(r.stop.profileBytes / 1e6)} MB; ${r.stop.ticks} ticks; agent counted ${fmtInt(r.stop.agentRequests)} requests`
          : r.mode === '0x'
            ? `exit ${seconds(r.stop.stopMs)} s after SIGINT; isolate log ${fixed(r.stop.isolateBytes / 1e6)} MB; 0x process ${Math.round(r.wrapperPct)}% CPU`
            : '',
      ]),
  );
  const perfsopStops = variants.flatMap((v) => v.runs.filter((r) => r.mode === 'perfsop').map((r) => r.stop.stopMs));
  const zeroxStops = variants.flatMap((v) => v.runs.filter((r) => r.mode === '0x').map((r) => r.stop.stopMs));
  lines.push(
    '#### Requests/s of the example checkout service: unprofiled, under perfsop\'s agent, under 0x',
    '',
    markdownTable(
      ['service', 'mode', 'runs', 'req/s (mean)', '95% interval', 'p50 ms', 'p99 ms', 'service CPU', 'service CPU µs per request', 'vs unprofiled', 'overhead (1 - req/s / unprofiled)', '95% interval', 'median of rounds', 'per round'],
      summaryRows,
    ),
    '',
    markdownTable(['target', 'service', 'measured', 'verdict'], targetRows),
    '',
    markdownTable(['service', 'round', 'order', 'mode', 'req/s', 'p50 ms', 'p99 ms', 'service CPU', 'CPU µs per request', 'steal / other processes', 'profiler'], runRows),
    '',
    `- The service: \`examples/checkout-service/server.mjs\` (slow = default, planted problems incl. ~30 KB of synchronous logging per request; optimized = \`OPTIMIZED=1\`), \`PORT=0\`, stdout and stderr to a file as perfsop's \`startComponent\` does. ` +
      `Load: autocannon's API in the benchmark process, POST \`/api/checkout\` \`{"items":15}\`, ${CONNECTIONS} connections, pipelining 1, ${WARMUP_S} s untimed, then ${DURATION_S} s measured, on a fresh service process per run.`,
    `- ${ROUNDS} rounds; in each, per service, the three modes one after the other in an order that rotates every round (order = position in its round). req/s = responses / autocannon's measured duration. ` +
      'p50/p99: nearest-rank over every response of the run, median over the rounds. Service CPU: the service process\'s own CPU, all its threads (/proc, 10 ms ticks), over the measured run, per second and per request; per request it is less sensitive than req/s to how much CPU other processes left the service.',
    `- Overhead = 1 - mean(req/s of the mode) / mean(req/s unprofiled), over the rounds; the 95% interval is a percentile bootstrap (${fmtInt(BOOTSTRAP_RESAMPLES)} resamples, seeded) over whole rounds, so each resample keeps the runs that ran side by side together. ` +
      `With ${ROUNDS} rounds such an interval is on the narrow side; the per-round overheads (1 - req/s of the mode / req/s unprofiled in the same round) show the spread, and their median is less moved by one disturbed run. The verdicts use the ratio of means.`,
    '- perfsop: the agent is injected as `bottleneck_analyze` does it: an `AgentSession` from dist/, its `environment()` (NODE_OPTIONS `--require dist/src/profile/agent.cjs --expose-gc`, the socket, the output folder), the `start` command (heap: false) once the service answers and the agent said hello, then its first tick (1 s later) before the warm-up, so all the load runs under the profiler; after the load `session.stop()` (the agent stops the V8 profiler, writes the .cpuprofile and its final report) and `close()`, after which the agent exits the service. ' +
      `The agent samples at ${process.env.PERFSOP_AGENT_SAMPLING_US ? `${process.env.PERFSOP_AGENT_SAMPLING_US} µs (PERFSOP_AGENT_SAMPLING_US set for this run)` : 'its default interval (4,000 µs, see src/profile/agent.cts)'}. "session.stop" is the time from sending stop to the final report (not in req/s).`,
    '- 0x: `node node_modules/0x/cmd.js --collect-only --output-dir <run>/{pid}.0x -- node server.mjs` (0x 6 runs node with `--prof --print-opt-source` and its preloads; `--collect-only` skips the flame graph and nothing opens a browser), its own process group, stopped with SIGINT to the group as Ctrl-C would; ' +
      '0x then preprocesses the isolate log (`--prof-process --preprocess`) before it exits, even with `--collect-only`. "exit after SIGINT" is that time (not in req/s). The service\'s stdout goes through 0x (a pipe it copies to its own stdout); "0x process CPU" is what that wrapper used during the measured run.',
    `- Stopping, median: perfsop's session.stop ${fmtInt(median(perfsopStops))} ms (max ${fmtInt(Math.max(...perfsopStops))}), 0x's exit after SIGINT ${seconds(median(zeroxStops))} s (max ${seconds(Math.max(...zeroxStops))}).`,
    '- Steal / other processes: over the measured run, as shares of both CPUs\' time (/proc/stat): the hypervisor\'s steal time (the host gave the VM\'s CPU elsewhere), and the busy time of processes other than the service, 0x and this benchmark (its load generator) - other work on the VM, such as a parallel test run. A run with much more of either than its neighbours was disturbed.',
  );
  return lines;
}

function analysisLines({ info, steps, calls }) {
  const partA = (s) => s.ms.read + s.ms.parse + s.ms.validate + s.ms.analyze;
  const stepTotal = (s) => partA(s) + s.ms.findings + s.ms.flamegraph;
  const aMedian = median(steps.map(partA));
  const bMedian = median(calls.map((c) => c.wallMs));
  const rows = steps.map((s, i) => [
    i + 1,
    fmtInt(s.ms.read),
    fmtInt(s.ms.parse),
    fmtInt(s.ms.analyze),
    `**${seconds(partA(s))}**`,
    fmtInt(s.ms.findings),
    fmtInt(s.ms.flamegraph),
    seconds(stepTotal(s)),
    fmtInt(s.maxRssMb),
    calls[i] ? `**${seconds(calls[i].wallMs)}**` : '',
    calls[i]?.maxRssMb ? fmtInt(calls[i].maxRssMb) : '',
  ]);
  const medianOf = (f) => median(steps.map(f));
  rows.push([
    'median',
    fmtInt(medianOf((s) => s.ms.read)),
    fmtInt(medianOf((s) => s.ms.parse)),
    fmtInt(medianOf((s) => s.ms.analyze)),
    `**${seconds(aMedian)}**`,
    fmtInt(medianOf((s) => s.ms.findings)),
    fmtInt(medianOf((s) => s.ms.flamegraph)),
    seconds(medianOf(stepTotal)),
    fmtInt(medianOf((s) => s.maxRssMb)),
    `**${seconds(bMedian)}**`,
    calls.every((c) => c.maxRssMb) ? fmtInt(median(calls.map((c) => c.maxRssMb))) : '',
  ]);
  const verdictOf = (ms) => (ms / 1000 < MAX_ANALYSIS_S ? 'met' : '**not met**');
  return [
    `#### Offline analysis of a ${fixed(info.bytes / 1e6)} MB .cpuprofile`,
    '',
    `The file: ${fixed(info.bytes / 1e6)} MB (${fmtInt(info.bytes)} bytes), ${fmtInt(info.nodes)} nodes over ${fmtInt(info.functions)} distinct functions, stacks up to ${info.maxDepth} frames deep, ` +
      `${fmtInt(info.samples)} samples and as many timeDeltas (${fmtInt(info.durationS)} s at ~1 ms, ${pct(info.idleShare, 0)} idle), positionTicks on ${fmtInt(info.nodesWithPositionTicks)} nodes; written in ${seconds(info.generateMs)} s.`,
    '',
    markdownTable(
      ['run', 'read ms', 'JSON.parse ms', 'analyzeCpuProfile ms', '(a) read + parse + analyze s', 'findings ms', 'flame graph ms', 'all steps s', 'peak RSS MB', '(b) whole tool call s', 'tool call peak RSS MB'],
      rows,
    ),
    '',
    markdownTable(
      ['target', 'measured (median)', 'verdict'],
      [
        [`(a) analysis, from reading the file to analyzeCpuProfile's result, < ${MAX_ANALYSIS_S} s`, `${seconds(aMedian)} s`, verdictOf(aMedian)],
        [`(b) \`perfsop call bottleneck_analyze '{"profile": ...}'\`, whole process, < ${MAX_ANALYSIS_S} s`, `${seconds(bMedian)} s`, verdictOf(bMedian)],
      ],
    ),
    '',
    '- The profile is synthetic (`bench/profile/synthetic-profile.mjs`, seeded, so every run writes the same file): the service\'s own files under one folder, 30 node_modules packages, node internals and natives; chains of frames grown from the root, recursion here and there; ' +
      'bursts of work between idle stretches, one burst in a hundred 50-400 ms long (blocking episodes); deltas of ~1 ms with jitter, a few negative ones and a few gaps.',
    `- (a) \`bench/profile/analyze-file.mjs\`, a fresh process per run, times the steps of the tool's offline path (\`analyzeOffline\` in src/analyze/bottleneck-analysis.ts) one by one: readFileSync, JSON.parse, parseCpuProfile (a shape check, < 1 ms, counted in (a)), analyzeCpuProfile, detectFindings, renderFlameGraph. ` +
      '(b) is the wall time of `node dist/src/cli.js call bottleneck_analyze \'{"profile":"<file>"}\'` from spawn to exit, with PERFSOP_HOME and PERFSOP_DB in a fresh temp folder: node\'s and the server\'s start-up, the database, the same steps, writing the flame graph, the reply. ' +
      `(a) and (b) alternate, ${PROFILE_RUNS} runs each.`,
  ];
}

function report({ overhead, analysis, seconds: total }, context) {
  const lines = ['### Profiler overhead and offline analysis time', '', ...contextLines(context), `Total run time ${total} s.`];
  if (overhead) lines.push('', ...overheadLines(overhead));
  if (analysis) lines.push('', ...analysisLines(analysis));
  return lines.join('\n');
}

async function main() {
  const context = runContext('bench/profile/run.mjs', 'bench:profile');
  process.stderr.write(`bench:profile: about ${Math.round(ESTIMATE_S)} s (time budget ${Math.round(BUDGET_MS / 1000)} s)\n`);
  const started = Date.now();
  const results = await withResources(BUDGET_MS, async (resources) => {
    const tmp = await resources.tempDir('perfsop-bench-profile-');
    const overhead = OVERHEAD ? await measureOverhead(resources, tmp) : undefined;
    const analysis = BIG_PROFILE ? await measureAnalysis(resources, tmp) : undefined;
    return { overhead, analysis };
  });
  const text = report({ ...results, seconds: Math.round((Date.now() - started) / 1000) }, context);
  process.stdout.write(`${text}\n`);
  if (options.write) process.stderr.write(`\nwrote ${writeSection('profile', text)}\n`);
}

main().catch((error) => {
  process.stderr.write(`bench:profile failed: ${error?.stack ?? error}\n`);
  process.exitCode = 1;
});
