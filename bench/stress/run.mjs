#!/usr/bin/env node
// Stress benchmark (issue 8, "Trust under stress": load): the two scenarios of test/stress, timed.
//
//   1. 8 perfsop processes over stdio on one database, 5,000 mixed memory_usage calls each,
//      4 in flight per process, every answer and the final state checked (bench/stress/scenarios.mjs).
//   2. 50 Streamable HTTP + 5 legacy SSE sessions at once on one `perfsop --http`, 40 calls each,
//      run `--http-rounds` times on the same server so its memory can be compared round to round.
//
//   node bench/stress/run.mjs            print the figures
//   node bench/stress/run.mjs --write    also update the stress section of bench/RESULTS.md
//   --processes N (8) --readers N (1) --ops N (5000) --in-flight N (4) --sessions N (50) --sse N (5) --calls N (40) --http-rounds N (2)
//
// Runs on the built dist/ (npm run bench:stress builds first).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { contextLines, runContext, writeSection } from '../lib/results-file.mjs';
import { withResources } from '../lib/resources.mjs';
import { ROOT } from '../lib/servers.mjs';
import { fmtInt, fmtMs, markdownTable } from '../lib/stats.mjs';
import { httpSessions, latencySummary, processLoad, rssKb } from './scenarios.mjs';

const CLI = join(ROOT, 'dist/src/cli.js');
const BUDGET_MS = 10 * 60_000;

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} needs a positive integer`);
  return value;
}

const WRITE = process.argv.includes('--write');
const PROCESSES = option('processes', 8);
const OPS = option('ops', 5_000);
const READERS = option('readers', 1);
const IN_FLIGHT = option('in-flight', 4);
const SESSIONS = option('sessions', 50);
const SSE = option('sse', 5);
const CALLS = option('calls', 40);
const HTTP_ROUNDS = option('http-rounds', 2);

const log = (text) => process.stderr.write(`${text}\n`);

/** `perfsop --http --port 0` on its own database; resolves with its URL once it listens. */
async function startHttp(resources, dir) {
  const child = spawn(process.execPath, [CLI, '--http', '--port', '0'], {
    // An empty CLAUDE_CONFIG_DIR: token_usage reports this run, not this machine's transcripts.
    env: { ...process.env, PERFSOP_DB: join(dir, 'http.db'), PERFSOP_HOME: dir, CLAUDE_CONFIG_DIR: join(dir, 'claude') },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  resources.add(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  const url = await new Promise((resolve, reject) => {
    child.stderr.on('data', (chunk) => {
      stderr = (stderr + chunk).slice(-8192);
      const match = /serving MCP over HTTP: (http:\/\/\S+?)\/mcp/.exec(stderr);
      if (match) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`perfsop --http exited with ${code}: ${stderr}`)));
  });
  return { url, pid: child.pid, stderr: () => stderr };
}

function latencyTable(latency, { exclude = [] } = {}) {
  return markdownTable(
    ['operation', 'calls', 'p50 ms', 'p99 ms'],
    latencySummary(latency).filter((row) => !exclude.includes(row.op)).map((row) => [row.op, fmtInt(row.n), fmtMs(row.p50), fmtMs(row.p99)]),
  );
}

/** All rounds' samples together, per call. */
function mergeLatency(rounds) {
  const merged = {};
  for (const round of rounds) for (const [op, samples] of Object.entries(round.latency)) (merged[op] ??= []).push(...samples);
  return merged;
}

const count = (list) => fmtInt(list.length);
const mib = (kb) => (kb === null ? 'n/a' : `${(kb / 1024).toFixed(1)} MiB`);

function report(load, http, context, seconds) {
  const loadSeconds = load.elapsedMs / 1000;
  const calls = http.reduce((n, round) => n + round.calls, 0);
  const httpSeconds = http.reduce((n, round) => n + round.elapsedMs, 0) / 1000;
  const rss = [mib(http[0].rssKb.before), ...http.map((round) => mib(round.rssKb.after))].join(' -> ');
  return [
    '### Stress: 8 processes on one database, 50 HTTP sessions on one server',
    '',
    ...contextLines(context),
    `Whole run ${seconds.toFixed(0)} s.`,
    '',
    `#### ${load.processes} perfsop processes over stdio, one shared database, ${fmtInt(load.opsPerProcess)} memory_usage calls each, ${load.inFlight} in flight per process`,
    '',
    markdownTable(
      ['operations', 'seconds', 'ops/s (all processes)', 'errors', 'SQLITE_BUSY', 'lost writes', 'other problems'],
      [[fmtInt(load.operations), loadSeconds.toFixed(1), fmtInt(load.operations / loadSeconds), count(load.errors), fmtInt(load.busyErrors + load.busyInLogs),
        fmtInt(load.lostWrites), count(load.problems.filter((p) => p.kind !== 'lost write'))]],
    ),
    '',
    latencyTable(load.latency, { exclude: ['verify retrieve', 'verify list'] }),
    '',
    `#### ${http[0].sessions} Streamable HTTP + ${http[0].sseSessions} legacy SSE sessions at once on one \`perfsop --http\`, ${http[0].callsEach} calls each, ${http.length} round(s)`,
    '',
    markdownTable(
      ['calls', 'seconds', 'calls/s', 'errors', 'wrong answers', 'server RSS (start -> after each round)'],
      [[fmtInt(calls), httpSeconds.toFixed(1), fmtInt(calls / httpSeconds), fmtInt(http.reduce((n, r) => n + r.errors.length, 0)),
        fmtInt(http.reduce((n, r) => n + r.problems.length, 0)), rss]],
    ),
    '',
    latencyTable(mergeLatency(http)),
    '',
    '- Latencies are per call as the client sees it, with every process or session sending at once, so they include the queueing behind the others; ' +
      'they are recorded, never asserted (the tests in test/stress assert on answers only).',
    `- Load mix per process (seeded; the last ${load.readers} of the ${load.processes} only retrieve, 85% shared keys, so their read cache is never ` +
      `cleared by a write of their own and only \`PRAGMA data_version\` keeps it fresh): 35% store (70% on the process's own ${load.privateKeys} keys, 30% on ${load.sharedKeys} keys all processes share), 30% retrieve (own, shared, ` +
      'or another process\'s keys), 10% search for a word only one key\'s values hold, 10% list of the own prefix, 15% delete of an own key; ' +
      'a process never has two calls on one key in flight, so each key sees its operations in order.',
    '- Lost writes: keys whose final state, read by a fresh process, is not the last acknowledged write (own keys: exact value and version, or absent ' +
      'after a delete; shared keys: the stores\' answered versions are exactly 1..N and the final row is version N with its value). Each answer is also ' +
      'checked during the run (versions, read-your-writes, search and list counts, and every retrieve of a shared key sees at least the newest ' +
      'version any process had acknowledged when it was sent).',
    '- HTTP sessions: each stores, retrieves and searches its own keys (answers checked to be its own), lists tools (`client.request`, see below), and ' +
      'calls performance_report (summary, 1h) or token_usage (1h) in turn; Streamable HTTP sessions end with a DELETE. ' +
      '`tools/list` goes through `client.request` rather than `client.listTools()`, which compiles an AJV validator per output schema on every call ' +
      '(0.2-1 s of client CPU for perfsop\'s 54 KB tool list here) and would measure the client.',
  ].join('\n');
}

async function main() {
  const context = runContext('bench/stress/run.mjs', 'bench:stress');
  const started = Date.now();
  const { load, http } = await withResources(BUDGET_MS, async (resources) => {
    const dir = await resources.tempDir('perfsop-bench-stress-');
    log(`stdio: ${PROCESSES} processes x ${OPS} operations`);
    const load = await processLoad({
      cli: CLI, dbPath: join(dir, 'shared.db'), processes: PROCESSES, readers: READERS, opsPerProcess: OPS, inFlight: IN_FLIGHT, env: { PERFSOP_HOME: dir }, log,
    });
    resources.checkBudget();
    const server = await startHttp(resources, dir);
    log(`http: server at ${server.url}, RSS ${mib(rssKb(server.pid))}`);
    const http = [];
    for (let round = 1; round <= HTTP_ROUNDS; round++) {
      log(`http: round ${round}/${HTTP_ROUNDS}`);
      http.push(await httpSessions({ url: server.url, sessions: SESSIONS, sseSessions: SSE, callsEach: CALLS, pid: server.pid, tag: `r${round}`, log }));
      resources.checkBudget();
    }
    return { load, http };
  });

  const text = report(load, http, context, (Date.now() - started) / 1000);
  process.stdout.write(`${text}\n`);
  const problems = [...load.errors, ...load.problems, ...http.flatMap((r) => [...r.errors, ...r.problems])];
  for (const problem of problems.slice(0, 20)) log(`problem: ${JSON.stringify(problem)}`);
  if (WRITE) log(`\nwrote ${writeSection('stress', text)}`);
  if (problems.length > 0) process.exitCode = 1;
}

main().catch((error) => {
  process.stderr.write(`bench:stress failed: ${error?.stack ?? error}\n`);
  process.exitCode = 1;
});
