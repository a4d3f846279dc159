#!/usr/bin/env node
// Startup benchmark: how long an MCP client waits from spawning `node dist/src/cli.js` until
// perfsop answers tools/list, and until it answers its first memory_usage call (the call that
// opens, and on a fresh file creates, the database). The echo floor and
// @modelcontextprotocol/server-memory are started the same way beside it.
//
//   node bench/startup/run.mjs [--runs 20] [--write]
//
// --write updates the startup section of bench/RESULTS.md. Runs on the built dist/.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ListToolsResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { contextLines, runContext, writeSection } from '../lib/results-file.mjs';
import { withResources } from '../lib/resources.mjs';
import { SERVERS, connect } from '../lib/servers.mjs';
import { elapsedMs, fmtMs, fmtRatio, markdownTable, summarize } from '../lib/stats.mjs';

const { values: options } = parseArgs({
  options: { runs: { type: 'string', default: '20' }, write: { type: 'boolean', default: false } },
});
const RUNS = Number(options.runs);
// Untimed rounds first, so every server starts with its files in the page cache, as it would on
// any machine that has started it before.
const WARMUP_ROUNDS = 2;
const BUDGET_MS = 5 * 60_000;

/**
 * Each subject: the server, what to pass it (a fresh database or memory file per start, so every
 * first call pays for creating it), and its first real call.
 */
const SUBJECTS = [
  {
    server: SERVERS.perfsop,
    fresh: (dir, run) => join(dir, `perfsop-${run}.db`),
    firstCall: (s) => s.call('memory_usage', { action: 'retrieve', key: 'startup/probe' }),
  },
  {
    server: SERVERS.echo,
    fresh: () => undefined,
    firstCall: (s) => s.call('echo', { text: 'hello' }),
  },
  {
    server: SERVERS.serverMemory,
    fresh: (dir, run) => join(dir, `memory-${run}.jsonl`),
    firstCall: (s) => s.call('search_nodes', { query: 'startup' }),
  },
];

/**
 * One cold start: spawn, initialize, tools/list, first tool call; then shut the server down.
 * tools/list is asked for twice. First as a plain request: its answer is the server's start-up.
 * Then through the SDK client's listTools, as a client would, which also compiles a validator for
 * every outputSchema listed: client work that grows with the schemas, timed apart.
 */
async function startOnce(resources, subject, envValue) {
  const start = process.hrtime.bigint();
  const server = await connect(resources, subject.server, envValue);
  try {
    const initialized = elapsedMs(start);
    await server.client.request({ method: 'tools/list', params: {} }, ListToolsResultSchema);
    const listed = elapsedMs(start);
    await server.client.listTools();
    const clientListed = elapsedMs(start);
    await subject.firstCall(server);
    const answered = elapsedMs(start);
    return { initialized, listed, clientList: clientListed - listed, answered, firstCall: answered - clientListed };
  } finally {
    await server.close(); // untimed
  }
}

async function measure(resources, dir) {
  const samples = SUBJECTS.map(() => ({ initialized: [], listed: [], clientList: [], answered: [], firstCall: [] }));
  for (let round = 0; round < WARMUP_ROUNDS + RUNS; round++) {
    resources.checkBudget();
    // Rotate who starts first, so a noisy moment does not always land on the same server.
    for (let j = 0; j < SUBJECTS.length; j++) {
      const index = (round + j) % SUBJECTS.length;
      const subject = SUBJECTS[index];
      const times = await startOnce(resources, subject, subject.fresh(dir, round));
      if (round < WARMUP_ROUNDS) continue;
      for (const [name, ms] of Object.entries(times)) samples[index][name].push(ms);
    }
  }
  return SUBJECTS.map((subject, i) => ({
    label: subject.server.label,
    ...Object.fromEntries(Object.entries(samples[i]).map(([name, values]) => [name, summarize(values)])),
  }));
}

function report(results, context) {
  const [perfsop, echo, peer] = results;
  const table = markdownTable(
    ['server', 'starts', 'spawn to initialize answered p50 ms', 'spawn to tools/list answered p50 ms', 'p95 ms', "then the SDK client's listTools p50 ms", 'spawn to first call answered p50 ms', 'p95 ms', 'first call alone p50 ms'],
    results.map((r) => [r.label, r.listed.n, fmtMs(r.initialized.p50), fmtMs(r.listed.p50), fmtMs(r.listed.p95), fmtMs(r.clientList.p50), fmtMs(r.answered.p50), fmtMs(r.answered.p95), fmtMs(r.firstCall.p50)]),
  );
  const ratio = (a, b, field) => `${fmtRatio(a[field].p50 / b[field].p50)} (${fmtMs(a[field].p50)} / ${fmtMs(b[field].p50)} ms)`;
  const ratios = markdownTable(
    ['ratio of p50s', 'to tools/list', 'to first call answered'],
    [
      ['perfsop / echo', ratio(perfsop, echo, 'listed'), ratio(perfsop, echo, 'answered')],
      ['perfsop / server-memory', ratio(perfsop, peer, 'listed'), ratio(perfsop, peer, 'answered')],
      ['server-memory / echo', ratio(peer, echo, 'listed'), ratio(peer, echo, 'answered')],
    ],
  );
  return [
    '### Startup',
    '',
    ...contextLines(context),
    '',
    table,
    '',
    ratios,
    '',
    `- ${RUNS} timed starts per server after ${WARMUP_ROUNDS} untimed rounds, the three servers started in rotating order, one at a time.`,
    '- Each start gets a fresh database (perfsop) or memory file (server-memory), so the first call pays for creating it; ' +
      'perfsop\'s first call is a memory_usage retrieve (opens the database, applies the schema), server-memory\'s a search_nodes, echo\'s an echo.',
    '- Times include spawning node and the MCP initialize handshake; "first call" comes after both tools/list requests. Closing the server is not timed.',
    "- tools/list is requested twice per start: first as a plain request (the server's answer, the start-up figure), then through the SDK client's `listTools`, which also compiles a validator (AJV) for each tool's outputSchema before it returns. " +
      'That column is mostly client work: it grows with the output schemas a server declares (perfsop declares 7, server-memory 9 smaller ones, echo none).',
  ].join('\n');
}

async function main() {
  if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`--runs must be a positive integer, got "${options.runs}"`);
  const context = runContext('bench/startup/run.mjs', 'bench:startup');
  const results = await withResources(BUDGET_MS, async (resources) => {
    const dir = await resources.tempDir('perfsop-bench-startup-');
    return measure(resources, dir);
  });
  const text = report(results, context);
  process.stdout.write(`${text}\n`);
  if (options.write) process.stderr.write(`\nwrote ${writeSection('startup', text)}\n`);
}

main().catch((error) => {
  process.stderr.write(`bench:startup failed: ${error?.stack ?? error}\n`);
  process.exitCode = 1;
});
