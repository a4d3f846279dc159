#!/usr/bin/env node
// Memory benchmark: how fast is perfsop's memory_usage, in-process and over a real MCP stdio round
// trip, next to (a) the floor of any MCP round trip (bench/memory/echo-server.mjs) and (b) the
// reference knowledge-graph server @modelcontextprotocol/server-memory.
//
//   node bench/memory/run.mjs            print the figures
//   node bench/memory/run.mjs --write    also update the memory section of bench/RESULTS.md
//
// Runs on the built dist/ (npm run bench:memory builds first).
import { join } from 'node:path';
import { openDatabase } from '../../dist/src/store/db.js';
import { MemoryStore } from '../../dist/src/store/memory.js';
import { createRng, randomIndex } from '../lib/prng.mjs';
import { contextLines, runContext, writeSection } from '../lib/results-file.mjs';
import { withResources } from '../lib/resources.mjs';
import { SERVERS, connect } from '../lib/servers.mjs';
import { elapsedMs, fmtCount, fmtInt, fmtMs, fmtRatio, markdownTable, summarize } from '../lib/stats.mjs';
import { interleave, timeCall } from '../lib/timing.mjs';
import { NAMESPACE, SEED, key, value } from './entries.mjs';

const WRITE = process.argv.includes('--write');
const BUDGET_MS = 8 * 60_000;

// Entry sizes. perfsop also runs at 10k because the comparison with server-memory is made there;
// server-memory stops at 10k because it rereads its whole file on every call.
const PERFSOP_SIZES = [1_000, 10_000, 100_000];
const PEER_SIZES = [1_000, 10_000];

const ENGINE_OPS = { store: 5_000, retrieve: 20_000 };
// Both servers of a pair keep getting faster for the first ~2-4k calls (JIT tiers, heap sizing),
// so the first block warms up long; store and search run afterwards on the same warm processes.
const ROUND_TRIPS = {
  retrieve: { warmup: 3_000, iterations: 3_000 },
  store: { warmup: 200, iterations: 1_000 },
  search: { warmup: 200, iterations: 1_000 },
};
// server-memory costs milliseconds per call at 10k, so it gets fewer calls there.
const PEER_ROUND_TRIPS = { 1_000: { warmup: 50, iterations: 300 }, 10_000: { warmup: 10, iterations: 200 } };
const PEER_BATCH = 500;

const TARGETS = { retrieveOverEcho: 1.3, peerOverPerfsop: 30 };

const entityName = (i) => `entity-${String(i).padStart(6, '0')}`;
const entity = (i) => ({ name: entityName(i), entityType: 'bench', observations: [value(i)] });

// ---------------------------------------------------------------------------------------------
// perfsop in-process: the engine alone, no MCP, no JSON, no process boundary.

function populatePerfsop(dbPath, size) {
  const db = openDatabase(dbPath);
  const memory = new MemoryStore(db, { maxValueBytes: 1 << 20 });
  // One transaction: 100k single-row commits would take minutes and measure nothing of interest.
  db.transaction(() => {
    for (let i = 0; i < size; i++) memory.store(NAMESPACE, key(i), value(i));
  })();
  return { db, memory };
}

/** Each op is its own autocommit transaction, as it is when the tool serves one call. */
function engineRates(memory, size, rng) {
  const store = [];
  for (let i = 0; i < ENGINE_OPS.store; i++) {
    const fresh = `bench/engine-${i}`;
    const text = value(size + i);
    const start = process.hrtime.bigint();
    memory.store(NAMESPACE, fresh, text);
    store.push(elapsedMs(start));
    memory.delete(NAMESPACE, fresh); // untimed: keeps the table at `size` entries
  }
  const retrieve = [];
  for (let i = 0; i < ENGINE_OPS.retrieve; i++) {
    const wanted = key(randomIndex(rng, size));
    const start = process.hrtime.bigint();
    const entry = memory.retrieve(NAMESPACE, wanted);
    retrieve.push(elapsedMs(start));
    if (!entry) throw new Error(`engine: ${wanted} missing`);
  }
  return { size, store: rateOf(store), retrieve: rateOf(retrieve) };
}

function rateOf(samples) {
  const total = samples.reduce((sum, ms) => sum + ms, 0);
  return { opsPerSecond: (samples.length / total) * 1000, ...summarize(samples) };
}

// ---------------------------------------------------------------------------------------------
// Round trips through a real SDK client over stdio.

/** An op for interleave(): builds its arguments, times only the call, then checks the answer. */
function toolOp(name, server, tool, makeArgs, check = () => {}) {
  return {
    name,
    async run(i) {
      const args = makeArgs(i);
      const { ms, result } = await timeCall(() => server.call(tool, args));
      check(result, args);
      return ms;
    },
  };
}

/** The floor: echo the value of a random entry, so the reply carries as many bytes as a retrieve's value. */
function echoOp(echo, size, rng) {
  return toolOp('echo', echo, 'echo', () => ({ text: value(randomIndex(rng, size)) }));
}

/** The floor for a reply shaped like a retrieve's: the same value, in text and structuredContent. */
function structuredEchoOp(echo, size, rng) {
  return toolOp('structuredEcho', echo, 'echo', () => {
    const i = randomIndex(rng, size);
    return { text: value(i), key: key(i) };
  }, (result) => {
    if (typeof result.structuredContent?.value !== 'string') throw new Error('structured echo: no structuredContent.value');
  });
}

async function perfsopRoundTrips(resources, dbPath, size, rng) {
  // A fresh echo beside each fresh perfsop: both processes then serve the same number of calls,
  // so neither is warmer than the other when they are compared.
  const echo = await connect(resources, SERVERS.echo);
  const structuredEcho = await connect(resources, SERVERS.echoStructured);
  const perfsop = await connect(resources, SERVERS.perfsop, dbPath);
  // Real clients list tools first; the SDK client then validates every structuredContent
  // against the tool's outputSchema, so that cost is part of what a user sees.
  await echo.client.listTools();
  await structuredEcho.client.listTools();
  await perfsop.client.listTools();
  const memoryUsage = (args) => ({ namespace: NAMESPACE, ...args });

  const retrieve = toolOp(
    'retrieve', perfsop, 'memory_usage',
    () => memoryUsage({ action: 'retrieve', key: key(randomIndex(rng, size)) }),
    (result, args) => {
      if (!result.structuredContent?.found) throw new Error(`perfsop retrieve: ${args.key} not found`);
    },
  );
  const store = {
    name: 'store',
    // A new key each time, like create_entities of a new entity; deleted untimed afterwards.
    async run(i) {
      const args = memoryUsage({ action: 'store', key: `bench/rt-${i}`, value: value(size + i) });
      const { ms, result } = await timeCall(() => perfsop.call('memory_usage', args));
      if (!result.structuredContent?.created) throw new Error(`perfsop store: ${args.key} was not created`);
      await perfsop.call('memory_usage', memoryUsage({ action: 'delete', key: args.key }));
      return ms;
    },
  };
  const search = toolOp(
    'search', perfsop, 'memory_usage',
    // The number in a key is a token of its own, so this finds exactly one entry by full text.
    () => ({ action: 'search', pattern: String(randomIndex(rng, size)).padStart(6, '0'), namespace: NAMESPACE }),
    (result, args) => {
      if (result.structuredContent?.count !== 1) throw new Error(`perfsop search "${args.pattern}": ${result.structuredContent?.count} hits`);
    },
  );

  const options = (op) => ({ ...ROUND_TRIPS[op], checkBudget: resources.checkBudget });
  const rows = [];
  try {
    for (const op of [retrieve, store, search]) {
      // retrieve is also timed beside the structured floor: the same reply shape with no work behind it.
      const ops = [op, echoOp(echo, size, rng), ...(op === retrieve ? [structuredEchoOp(structuredEcho, size, rng)] : [])];
      const stats = await interleave(ops, options(op.name));
      rows.push({ server: 'perfsop', op: op.name, size, stats: stats[op.name], echo: stats.echo, structuredEcho: stats.structuredEcho });
    }
  } finally {
    await perfsop.close();
    await structuredEcho.close();
    await echo.close();
  }
  return rows;
}

async function serverMemoryRoundTrips(resources, dir, size, rng) {
  const peer = await connect(resources, SERVERS.serverMemory, join(dir, `memory-${size}.jsonl`));
  await peer.client.listTools();
  const rows = [];
  try {
    for (let from = 0; from < size; from += PEER_BATCH) {
      const batch = [];
      for (let i = from; i < Math.min(size, from + PEER_BATCH); i++) batch.push(entity(i));
      await peer.call('create_entities', { entities: batch });
    }
    const oneEntity = (label) => (result, args) => {
      const found = result.structuredContent?.entities?.length;
      if (found !== 1) throw new Error(`server-memory ${label} ${JSON.stringify(args)}: ${found} entities`);
    };
    const ops = [
      toolOp('search_nodes', peer, 'search_nodes', () => ({ query: entityName(randomIndex(rng, size)) }), oneEntity('search_nodes')),
      toolOp('open_nodes', peer, 'open_nodes', () => ({ names: [entityName(randomIndex(rng, size))] }), oneEntity('open_nodes')),
      {
        name: 'create_entities',
        async run(i) {
          const fresh = entity(size + 1_000_000 + i);
          const { ms, result } = await timeCall(() => peer.call('create_entities', { entities: [fresh] }));
          oneEntity('create_entities')(result, fresh);
          await peer.call('delete_entities', { entityNames: [fresh.name] }); // untimed: keeps the graph at `size`
          return ms;
        },
      },
    ];
    const stats = await interleave(ops, { ...PEER_ROUND_TRIPS[size], checkBudget: resources.checkBudget });
    for (const op of ops) rows.push({ server: 'server-memory', op: op.name, size, stats: stats[op.name] });
  } finally {
    await peer.close();
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Report.

function find(rows, server, op, size) {
  const row = rows.find((r) => r.server === server && r.op === op && r.size === size);
  if (!row) throw new Error(`no figure for ${server} ${op} at ${size}`);
  return row;
}

function engineTable(engine) {
  return markdownTable(
    ['entries', 'store ops/s', 'store p50 µs', 'store p99 µs', 'retrieve ops/s', 'retrieve p50 µs', 'retrieve p99 µs'],
    engine.map((e) => [
      fmtCount(e.size),
      fmtInt(e.store.opsPerSecond), (e.store.p50 * 1000).toFixed(1), (e.store.p99 * 1000).toFixed(1),
      fmtInt(e.retrieve.opsPerSecond), (e.retrieve.p50 * 1000).toFixed(1), (e.retrieve.p99 * 1000).toFixed(1),
    ]),
  );
}

function roundTripTable(rows) {
  const body = [];
  for (const size of PERFSOP_SIZES) {
    const { echo, structuredEcho } = find(rows, 'perfsop', 'retrieve', size);
    const overStructured = (stats) => fmtRatio(stats.p50 / structuredEcho.p50);
    body.push(['echo (floor)', 'echo', fmtCount(size), echo.n, fmtMs(echo.p50), fmtMs(echo.p99), fmtMs(echo.p50), '1.00x', '']);
    body.push(['echo, structured reply', 'echo', fmtCount(size), structuredEcho.n, fmtMs(structuredEcho.p50), fmtMs(structuredEcho.p99), fmtMs(echo.p50),
      fmtRatio(structuredEcho.p50 / echo.p50), '1.00x']);
    for (const op of ['retrieve', 'store', 'search']) {
      const row = find(rows, 'perfsop', op, size);
      body.push(['perfsop', op, fmtCount(size), row.stats.n, fmtMs(row.stats.p50), fmtMs(row.stats.p99), fmtMs(row.echo.p50), fmtRatio(row.stats.p50 / row.echo.p50),
        row.structuredEcho ? overStructured(row.stats) : '']);
    }
  }
  for (const size of PEER_SIZES) {
    for (const op of ['search_nodes', 'open_nodes', 'create_entities']) {
      const row = find(rows, 'server-memory', op, size);
      body.push(['server-memory', op, fmtCount(size), row.stats.n, fmtMs(row.stats.p50), fmtMs(row.stats.p99), '', '', '']);
    }
  }
  return markdownTable(['server', 'operation', 'entries', 'calls', 'p50 ms', 'p99 ms', 'echo p50 ms (same block)', 'p50 / echo p50', 'p50 / structured echo p50'], body);
}

function targets(rows) {
  const verdict = (met) => (met ? 'met' : '**not met**');
  const lines = [];
  for (const size of [1_000, 100_000]) {
    const row = find(rows, 'perfsop', 'retrieve', size);
    const ratio = row.stats.p50 / row.echo.p50;
    lines.push([`perfsop retrieve p50 / echo p50 at ${fmtCount(size)}`, `<= ${TARGETS.retrieveOverEcho}x`,
      `${fmtRatio(ratio)} (${fmtMs(row.stats.p50)} / ${fmtMs(row.echo.p50)} ms)`, verdict(ratio <= TARGETS.retrieveOverEcho)]);
    const floor = row.structuredEcho.p50;
    lines.push([`structured echo p50 / echo p50 at ${fmtCount(size)}`, '(context: the reply shape alone)',
      `${fmtRatio(floor / row.echo.p50)} (${fmtMs(floor)} / ${fmtMs(row.echo.p50)} ms)`, '']);
    lines.push([`perfsop retrieve p50 / structured echo p50 at ${fmtCount(size)}`, '(context: the lookup and its rendering)',
      `${fmtRatio(row.stats.p50 / floor)} (${fmtMs(row.stats.p50)} / ${fmtMs(floor)} ms)`, '']);
  }
  const pairs = [
    ['search_nodes', 'retrieve', true],
    ['create_entities', 'store', true],
    ['open_nodes', 'retrieve', false],
  ];
  for (const size of PEER_SIZES) {
    for (const [peerOp, ourOp, targeted] of pairs) {
      const peer = find(rows, 'server-memory', peerOp, size).stats.p50;
      const ours = find(rows, 'perfsop', ourOp, size).stats.p50;
      const ratio = peer / ours;
      const isTarget = targeted && size === 10_000;
      lines.push([`server-memory ${peerOp} p50 / perfsop ${ourOp} p50 at ${fmtCount(size)}`, isTarget ? `>= ${TARGETS.peerOverPerfsop}x` : '(context)',
        `${fmtRatio(ratio)} (${fmtMs(peer)} / ${fmtMs(ours)} ms)`, isTarget ? verdict(ratio >= TARGETS.peerOverPerfsop) : '']);
    }
  }
  return markdownTable(['ratio', 'target', 'measured', 'verdict'], lines);
}

/** How much the floor itself moved between blocks of the same run: the noise of this machine. */
function noiseNote(rows) {
  const echoes = rows.filter((r) => r.echo).map((r) => r.echo.p50);
  return `Echo p50 ranged ${fmtMs(Math.min(...echoes))}-${fmtMs(Math.max(...echoes))} ms across the ${echoes.length} blocks of this run; ` +
    'ratios compare figures measured in the same block, absolute figures move with the machine.';
}

function report(engine, rows, context, seconds) {
  return [
    '### Memory',
    '',
    ...contextLines(context),
    `Total run time ${seconds.toFixed(0)} s.`,
    '',
    '#### perfsop engine, in-process (one autocommit transaction per call)',
    '',
    engineTable(engine),
    '',
    '#### MCP round trips over stdio (SDK Client + StdioClientTransport, sequential calls)',
    '',
    roundTripTable(rows),
    '',
    '#### Targets',
    '',
    targets(rows),
    '',
    `- ${noiseNote(rows)}`,
    `- Round trips: per size a fresh perfsop and a fresh echo process; ${ROUND_TRIPS.retrieve.iterations} retrieves after ${ROUND_TRIPS.retrieve.warmup} warm-up calls ` +
      `(both servers speed up for the first few thousand calls), then ${ROUND_TRIPS.store.iterations} stores and ${ROUND_TRIPS.search.iterations} searches, ` +
      'each block interleaved call by call with as many echo calls (and, for retrieve, as many structured echo calls). ' +
      `server-memory ${PEER_ROUND_TRIPS[1_000].iterations} calls per operation at 1k and only ${PEER_ROUND_TRIPS[10_000].iterations} at 10k ` +
      '(each call rereads the whole JSONL file), its three operations interleaved.',
    '- store and create_entities write a new key/entity each call; it is deleted untimed right after, so the data stays at the stated size.',
    '- Values are ~200 bytes of text; retrieve and open_nodes/search_nodes pick random existing keys from a seeded PRNG.',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const context = runContext('bench/memory/run.mjs', 'bench:memory');
  const started = Date.now();
  const rng = createRng(SEED);
  const log = (text) => process.stderr.write(`${text}\n`);

  const { engine, rows } = await withResources(BUDGET_MS, async (resources) => {
    const dir = await resources.tempDir('perfsop-bench-memory-');
    const engine = [];
    const rows = [];
    for (const size of PERFSOP_SIZES) {
      log(`perfsop: ${fmtCount(size)} entries: populating, engine rates`);
      const dbPath = join(dir, `perfsop-${size}.db`);
      const { db, memory } = populatePerfsop(dbPath, size);
      try {
        engine.push(engineRates(memory, size, rng));
      } finally {
        memory.close(); // writes the batched read counts before the file closes
        db.close();
      }
      log(`perfsop: ${fmtCount(size)} entries: round trips`);
      rows.push(...(await perfsopRoundTrips(resources, dbPath, size, rng)));
    }
    for (const size of PEER_SIZES) {
      log(`server-memory: ${fmtCount(size)} entities`);
      rows.push(...(await serverMemoryRoundTrips(resources, dir, size, rng)));
    }
    return { engine, rows };
  });

  const text = report(engine, rows, context, (Date.now() - started) / 1000);
  process.stdout.write(`${text}\n`);
  if (WRITE) log(`\nwrote ${writeSection('memory', text)}`);
}

main().catch((error) => {
  process.stderr.write(`bench:memory failed: ${error?.stack ?? error}\n`);
  process.exitCode = 1;
});
