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

/** One cold start: spawn, initialize, tools/list, first tool call; then shut the server down. */
async function startOnce(resources, subject, envValue) {
  const start = process.hrtime.bigint();
  const server = await connect(resources, subject.server, envValue);
  try {
    await server.client.listTools();
    const listed = elapsedMs(start);
    await subject.firstCall(server);
    return { listed, answered: elapsedMs(start) };
  } finally {
    await server.close(); // untimed
  }
}

async function measure(resources, dir) {
  const samples = SUBJECTS.map(() => ({ listed: [], answered: [], firstCall: [] }));
  for (let round = 0; round < WARMUP_ROUNDS + RUNS; round++) {
    resources.checkBudget();
    // Rotate who starts first, so a noisy moment does not always land on the same server.
    for (let j = 0; j < SUBJECTS.length; j++) {
      const index = (round + j) % SUBJECTS.length;
      const subject = SUBJECTS[index];
      const { listed, answered } = await startOnce(resources, subject, subject.fresh(dir, round));
      if (round < WARMUP_ROUNDS) continue;
      samples[index].listed.push(listed);
      samples[index].answered.push(answered);
      samples[index].firstCall.push(answered - listed);
    }
  }
  return SUBJECTS.map((subject, i) => ({
    label: subject.server.label,
    listed: summarize(samples[i].listed),
    answered: summarize(samples[i].answered),
    firstCall: summarize(samples[i].firstCall),
  }));
}

function report(results, context) {
  const [perfsop, echo, peer] = results;
  const table = markdownTable(
    ['server', 'starts', 'spawn to tools/list p50 ms', 'p95 ms', 'spawn to first call answered p50 ms', 'p95 ms', 'first call alone p50 ms'],
    results.map((r) => [r.label, r.listed.n, fmtMs(r.listed.p50), fmtMs(r.listed.p95), fmtMs(r.answered.p50), fmtMs(r.answered.p95), fmtMs(r.firstCall.p50)]),
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
    '- Times include spawning node, the MCP initialize handshake and, for "first call", tools/list too; closing the server is not timed.',
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
