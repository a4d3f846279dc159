#!/usr/bin/env node
// Token accounting benchmark: perfsop's token_usage report beside ccusage on the same generated
// Claude Code transcript folder (about 500 MB, bench/tokens/generate.mjs, under os.tmpdir(),
// removed at the end).
//
//   node bench/tokens/run.mjs [--mb 500] [--rounds 3] [--repeats 5] [--write]
//
// Each round, in alternating order:
//   - perfsop first report: a fresh perfsop process (stdio, SDK client, fresh database) answers
//     token_usage {timeframe: "all", group_by: "day"}: it reads every transcript (worker threads)
//     and stores the calls. Only the tools/call is timed, not the process start;
//   - perfsop repeat report: the same call again on the same process, --repeats times: only
//     appended bytes would be read (none here), the report comes from the in-memory ledger;
//   - perfsop restart report: a new process on the now filled database: it loads the stored calls
//     and checks every file's size, reading nothing;
//   - ccusage: `ccusage daily --json --offline` as installed from npm (its node entry point, which
//     starts the native binary) and the native binary alone. A whole process run each: ccusage
//     keeps no state between runs, so every run is its first and its repeat.
// One untimed ccusage run first reads the folder into the page cache. Every perfsop answer's
// totals are checked against ccusage's before any time counts.
//
// --write updates the tokens section of bench/RESULTS.md. Runs on the built dist/
// (npm run bench:tokens builds first).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ccusageEnv, CCUSAGE_VERSION, ensureCcusage } from '../lib/ccusage.mjs';
import { contextLines, runContext, writeSection } from '../lib/results-file.mjs';
import { withResources } from '../lib/resources.mjs';
import { SERVERS, connect } from '../lib/servers.mjs';
import { elapsedMs, fmtMs, fmtRatio, markdownTable, summarize } from '../lib/stats.mjs';
import { generateTranscripts } from './generate.mjs';

const { values: options } = parseArgs({
  options: {
    mb: { type: 'string', default: '500' },
    rounds: { type: 'string', default: '3' },
    repeats: { type: 'string', default: '5' },
    write: { type: 'boolean', default: false },
  },
});
const MB = Number(options.mb);
const ROUNDS = Number(options.rounds);
const REPEATS = Number(options.repeats);
const BUDGET_MS = 20 * 60_000;
const REPORT = { timeframe: 'all', group_by: 'day', timezone: 'UTC', limit: 1000 };
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
const CLOCK_TICKS = 100;

/** perfsop over stdio, reading the generated folder. */
function perfsopServer(claudeDir) {
  return { ...SERVERS.perfsop, env: (dbPath) => ({ ...SERVERS.perfsop.env(dbPath), CLAUDE_CONFIG_DIR: claudeDir, TZ: 'UTC' }) };
}

/** CPU seconds (user + system, every thread) a process has used so far, from /proc. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

function peakRssMb(pid) {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

/** One timed token_usage call; the answer's totals must equal ccusage's. */
async function timedReport(server, pid, expected) {
  const cpuBefore = cpuSeconds(pid);
  const start = process.hrtime.bigint();
  const result = await server.call('token_usage', REPORT);
  const ms = elapsedMs(start);
  const cpu = cpuSeconds(pid) - cpuBefore;
  const { totals, sources } = result.structuredContent;
  const got = [totals.input_tokens, totals.output_tokens, totals.cache_creation_tokens, totals.cache_read_tokens];
  const want = [expected.inputTokens, expected.outputTokens, expected.cacheCreationTokens, expected.cacheReadTokens];
  if (got.join() !== want.join() || Math.abs(totals.cost_usd - expected.totalCost) > 1e-9 * expected.totalCost) {
    throw new Error(`perfsop's totals ${JSON.stringify(totals)} differ from ccusage's ${JSON.stringify(expected)}`);
  }
  return { ms, cpu, sources };
}

/** A whole ccusage run, with its CPU time and peak memory from GNU time when installed. */
function ccusageRun(command, claudeDir, home) {
  const args = ['daily', '--json', '--offline'];
  const start = process.hrtime.bigint();
  const run = TIME
    ? spawnSync(TIME, ['-f', '%U %S %M', command, ...args], { env: ccusageEnv(claudeDir, home), encoding: 'utf8', maxBuffer: 64 << 20 })
    : spawnSync(command, args, { env: ccusageEnv(claudeDir, home), encoding: 'utf8', maxBuffer: 64 << 20 });
  const ms = elapsedMs(start);
  if (run.status !== 0) throw new Error(`ccusage failed (${run.status ?? run.signal}): ${run.stderr}`);
  const [user, system, rssKb] = TIME ? run.stderr.trim().split('\n').pop().split(' ').map(Number) : [NaN, NaN, NaN];
  return { ms, cpu: user + system, rssMb: rssKb / 1024, report: JSON.parse(run.stdout) };
}

async function measure(resources, ccusage) {
  const dir = await resources.tempDir('perfsop-bench-tokens-');
  const home = await resources.tempDir('perfsop-bench-tokens-home-');
  process.stderr.write(`generating ${MB} MB of transcripts in ${dir} ...\n`);
  const generationStart = process.hrtime.bigint();
  const generated = generateTranscripts(dir, { mb: MB, seed: 7 });
  const generation = { ms: elapsedMs(generationStart), ...generated, extraCopies: undefined };
  // Untimed: reads the folder into the page cache, and gives the totals to check perfsop against.
  const reference = ccusageRun(ccusage.bin, dir, home).report.totals;

  const samples = { first: [], firstCpu: [], repeat: [], repeatCpu: [], restart: [], ccusage: [], ccusageCpu: [], native: [], nativeCpu: [] };
  let rss = { perfsop: NaN, ccusage: NaN, native: NaN };
  let firstSources;
  const server = perfsopServer(dir);
  for (let round = 0; round < ROUNDS; round++) {
    resources.checkBudget();
    const db = join(await resources.tempDir('perfsop-bench-tokens-db-'), 'perfsop.db');
    const runCcusage = () => {
      for (const [name, command] of [
        ['ccusage', ccusage.bin],
        ['native', ccusage.native],
      ]) {
        const run = ccusageRun(command, dir, home);
        samples[name].push(run.ms);
        samples[`${name}Cpu`].push(run.cpu);
        rss[name] = Math.max(Number.isNaN(rss[name]) ? 0 : rss[name], run.rssMb);
      }
    };
    // Alternate which side runs first, so a drift of the shared machine hits both alike.
    if (round % 2 === 1) runCcusage();
    const perfsop = await connect(resources, server, db);
    const pid = perfsop.client.transport.pid;
    await perfsop.client.listTools();
    const first = await timedReport(perfsop, pid, reference);
    samples.first.push(first.ms);
    samples.firstCpu.push(first.cpu);
    firstSources = first.sources;
    if (round % 2 === 0) runCcusage();
    for (let r = 0; r < REPEATS; r++) {
      const repeat = await timedReport(perfsop, pid, reference);
      if (repeat.sources.files_read !== 0) throw new Error('a repeat report read files again');
      samples.repeat.push(repeat.ms);
      samples.repeatCpu.push(repeat.cpu);
    }
    rss.perfsop = Math.max(Number.isNaN(rss.perfsop) ? 0 : rss.perfsop, peakRssMb(pid));
    await perfsop.close();
    const restarted = await connect(resources, server, db);
    await restarted.client.listTools();
    const restart = await timedReport(restarted, restarted.client.transport.pid, reference);
    if (restart.sources.files_read !== 0) throw new Error('a restarted perfsop read files again');
    samples.restart.push(restart.ms);
    await restarted.close();
    process.stderr.write(`round ${round + 1}/${ROUNDS}: first ${fmtMs(first.ms)} ms, ccusage ${fmtMs(samples.ccusage.at(-1))} ms (native ${fmtMs(samples.native.at(-1))} ms), repeat ${fmtMs(samples.repeat.at(-1))} ms, restart ${fmtMs(restart.ms)} ms\n`);
  }
  return { generation, reference, samples, rss, firstSources };
}

function report({ generation, reference, samples, rss, firstSources }, context) {
  const s = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summarize(v)]));
  const median = (k) => s[k].p50;
  const cpu = (k) => (Number.isFinite(median(k)) ? median(k).toFixed(2) : 'n/a');
  const rows = [
    ['perfsop, first report (reads and stores every transcript)', s.first.n, fmtMs(s.first.min), fmtMs(median('first')), fmtMs(s.first.p95), cpu('firstCpu'), rss.perfsop.toFixed(0)],
    ['perfsop, repeat report (same process)', s.repeat.n, fmtMs(s.repeat.min), fmtMs(median('repeat')), fmtMs(s.repeat.p95), cpu('repeatCpu'), ''],
    ['perfsop, first report of a restarted process (filled database)', s.restart.n, fmtMs(s.restart.min), fmtMs(median('restart')), fmtMs(s.restart.p95), '', ''],
    [`ccusage ${CCUSAGE_VERSION} daily --json --offline (npm entry point)`, s.ccusage.n, fmtMs(s.ccusage.min), fmtMs(median('ccusage')), fmtMs(s.ccusage.p95), cpu('ccusageCpu'), rss.ccusage.toFixed(0)],
    [`ccusage ${CCUSAGE_VERSION} native binary alone`, s.native.n, fmtMs(s.native.min), fmtMs(median('native')), fmtMs(s.native.p95), cpu('nativeCpu'), rss.native.toFixed(0)],
  ];
  const ratio = (a, b) => fmtRatio(median(a) / median(b));
  const ratios = markdownTable(
    ['ratio of medians', 'vs ccusage (npm)', 'vs ccusage native', 'target'],
    [
      ['first report: ccusage time / perfsop time', ratio('ccusage', 'first'), ratio('native', 'first'), '>= 0.8x'],
      ['repeat report: ccusage time / perfsop time', ratio('ccusage', 'repeat'), ratio('native', 'repeat'), '>= 20x'],
      ['restarted process: ccusage time / perfsop time', ratio('ccusage', 'restart'), ratio('native', 'restart'), ''],
    ],
  );
  return [
    '### Tokens',
    '',
    ...contextLines(context),
    '',
    `Folder: ${generation.files} transcript files, ${(generation.bytes / 1048576).toFixed(0)} MiB, ${generation.usageLines.toLocaleString('en-US')} usage lines holding ` +
      `${generation.messages.toLocaleString('en-US')} model calls (written in ${(generation.ms / 1000).toFixed(1)} s). Both tools report ` +
      `${reference.outputTokens.toLocaleString('en-US')} output tokens and $${reference.totalCost.toFixed(2)}; every perfsop answer was checked against ccusage's totals.`,
    `perfsop's first report read ${(firstSources.bytes_read / 1048576).toFixed(0)} MiB with ${firstSources.workers} worker threads and stored ${firstSources.new_calls.toLocaleString('en-US')} calls.`,
    '',
    markdownTable(['run', 'n', 'min ms', 'median ms', 'p95 ms', 'CPU s (median)', 'peak RSS MiB'], rows),
    '',
    ratios,
    '',
    `- ${ROUNDS} rounds, the order of perfsop and ccusage alternating; ${REPEATS} repeat reports per round. perfsop's times are the tools/call round trip over stdio (SDK client), without process start; ccusage's are whole process runs (it keeps nothing between runs).`,
    '- CPU: perfsop from /proc/<pid>/stat around the call (all threads, 10 ms ticks); ccusage from GNU time. Peak RSS: perfsop\'s VmHWM over the round, ccusage\'s from GNU time.',
  ].join('\n');
}

async function main() {
  for (const [name, value] of [['--mb', MB], ['--rounds', ROUNDS], ['--repeats', REPEATS]]) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  }
  const context = runContext('bench/tokens/run.mjs', 'bench:tokens');
  const ccusage = ensureCcusage();
  const started = Date.now();
  const results = await withResources(BUDGET_MS, (resources) => measure(resources, ccusage));
  const body = `${report(results, context)}\n\nTotal run time ${Math.round((Date.now() - started) / 1000)} s.`;
  process.stdout.write(`${body}\n`);
  if (options.write) process.stderr.write(`wrote ${writeSection('tokens', body)}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
