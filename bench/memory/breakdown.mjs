#!/usr/bin/env node
// Where does a memory_usage retrieve round trip spend its time, compared with the echo floor?
// Peels the request path into layers and times perfsop and echo side by side at each layer
// (interleaved call by call, 1k entries unless --entries says otherwise):
//
//   L0 the engine: MemoryStore.retrieve vs a plain SELECT of the same row
//   L1 tool path in-process: runTool(memory_usage retrieve) vs runTool(a trivial echo tool)
//   L2 full MCP stack in-process, messages passed as objects (SDK InMemoryTransport)
//   L3 full MCP stack in-process, every message serialized and parsed as stdio does
//   L4 real stdio round trip between processes (what bench/memory/run.mjs measures)
//
// plus the parts that differ between the two (the SDK client's outputSchema check (AJV), the
// server's zod schemas, the reply size), and a calibration: echo made to spin a known CPU time per
// call, to see how server work translates into round-trip time on this machine.
//
//   node bench/memory/breakdown.mjs [--entries 1000] [--write]   (needs a build: npm run build)
//
// --write updates the memory-breakdown section of bench/RESULTS.md.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { deserializeMessage, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import { z } from 'zod';
import { App } from '../../dist/src/app.js';
import { createServer } from '../../dist/src/server.js';
import { runTool } from '../../dist/src/tooling/run-tool.js';
import { memoryUsage } from '../../dist/tools/memory-usage.js';
import { createRng, randomIndex } from '../lib/prng.mjs';
import { contextLines, runContext, writeSection } from '../lib/results-file.mjs';
import { withResources } from '../lib/resources.mjs';
import { SERVERS, connect } from '../lib/servers.mjs';
import { fmtCount, fmtMs, fmtRatio, markdownTable, summarize } from '../lib/stats.mjs';
import { interleave, timeCall } from '../lib/timing.mjs';
import { NAMESPACE, SEED, key, value } from './entries.mjs';

const PROBE = pathToFileURL(fileURLToPath(new URL('../lib/server-probe.mjs', import.meta.url))).href;
const { values: options } = parseArgs({
  options: { entries: { type: 'string', default: '1000' }, write: { type: 'boolean', default: false } },
});
const SIZE = Number(options.entries);
// Long warm-ups: servers keep speeding up for the first few thousand calls (JIT tiers).
const IN_PROCESS = { warmup: 3_000, iterations: 5_000 };
const STDIO = { warmup: 3_000, iterations: 3_000 };
const CALIBRATION_US = [0, 25, 50, 100];

const rng = createRng(SEED);
const randomKey = () => key(randomIndex(rng, SIZE));
const randomValue = () => value(randomIndex(rng, SIZE));
const retrieveArgs = () => ({ action: 'retrieve', namespace: NAMESPACE, key: randomKey() });

/** The lightest tool perfsop's framework can run: same runTool path, trivial handler. */
const trivialTool = {
  name: 'echo',
  title: 'Echo',
  description: 'Returns its text.',
  input: z.object({ text: z.string() }),
  output: z.object({ text: z.string() }),
  annotations: {},
  handler: (args, response) => {
    response.line(args.text);
    return { text: args.text };
  },
};

function populate(app) {
  app.db.transaction(() => {
    for (let i = 0; i < SIZE; i++) app.memory.store(NAMESPACE, key(i), value(i));
  })();
}

// An op for interleave(): times one awaited call.
const op = (name, fn) => ({ name, run: async () => (await timeCall(fn)).ms });

/** A linked transport pair that serializes and parses each message exactly as the stdio transport does. */
function framedPair() {
  const [a, b] = InMemoryTransport.createLinkedPair();
  for (const side of [a, b]) {
    const send = side.send.bind(side);
    side.send = (message, options) => send(deserializeMessage(serializeMessage(message).trimEnd()), options);
  }
  return [a, b];
}

async function inProcessClient(resources, server, { framed, listTools = true }) {
  const [clientSide, serverSide] = framed ? framedPair() : InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'breakdown', version: '1.0.0' });
  await server.connect(serverSide);
  await client.connect(clientSide);
  resources.add(() => client.close());
  if (listTools) await client.listTools();
  return client;
}

function row(layer, results, ours, floor) {
  return [layer, fmtMs(results[ours].p50), fmtMs(results[floor].p50), fmtMs(results[ours].p50 - results[floor].p50), fmtRatio(results[ours].p50 / results[floor].p50)];
}

/** The probe's in-server samples of each series, without the warm-up calls. */
async function probeSamples(dir, series) {
  const out = {};
  for (const [name, [file, label]] of Object.entries(series)) {
    const samples = JSON.parse(await readFile(join(dir, `${file}.json`), 'utf8'))[label] ?? [];
    out[name] = summarize(samples.slice(STDIO.warmup, STDIO.warmup + STDIO.iterations));
  }
  return out;
}

/** L0-L3 in one process: the engine, perfsop's tool path, and the MCP stack with and without framing. */
async function inProcessLayers(resources, app) {
  const { createEchoServer } = await import('./echo-server.mjs');
  const toolContext = { app, signal: new AbortController().signal, progress: async () => {} };
  const opts = { ...IN_PROCESS, checkBudget: resources.checkBudget };
  const rows = [];

  // retrieve is a SELECT plus an in-memory read count (flushed in batches); a plain SELECT of
  // the same row shows what the lookup alone costs.
  const select = app.db.prepare('SELECT * FROM memory WHERE namespace = ? AND key = ? AND (expires_at IS NULL OR expires_at > ?)');
  const l1 = await interleave([
    op('engine', async () => app.memory.retrieve(NAMESPACE, randomKey())),
    op('select', async () => select.get(NAMESPACE, randomKey(), Date.now())),
    op('runTool retrieve', () => runTool(memoryUsage, retrieveArgs(), toolContext)),
    op('runTool trivial', () => runTool(trivialTool, { text: randomValue() }, toolContext)),
  ], opts);
  rows.push(row('L0 engine: MemoryStore.retrieve vs a plain SELECT of the row', l1, 'engine', 'select'));
  rows.push(row('L1 runTool: memory_usage retrieve vs trivial tool', l1, 'runTool retrieve', 'runTool trivial'));

  for (const framed of [false, true]) {
    const perfsop = await inProcessClient(resources, createServer(app), { framed });
    const unchecked = await inProcessClient(resources, createServer(app), { framed, listTools: false });
    const echo = await inProcessClient(resources, createEchoServer(), { framed });
    const results = await interleave([
      op('retrieve', () => perfsop.callTool({ name: 'memory_usage', arguments: retrieveArgs() })),
      op('retrieve, no outputSchema check', () => unchecked.callTool({ name: 'memory_usage', arguments: retrieveArgs() })),
      op('echo', () => echo.callTool({ name: 'echo', arguments: { text: randomValue() } })),
    ], opts);
    const layer = framed ? 'L3 in-process MCP, stdio framing' : 'L2 in-process MCP, no serialization';
    rows.push(row(`${layer}: retrieve vs echo`, results, 'retrieve', 'echo'));
    rows.push(row(`${layer}: retrieve without client outputSchema check vs echo`, results, 'retrieve, no outputSchema check', 'echo'));
  }

  // The pieces that differ: perfsop's zod schemas, and the SDK client's AJV check compiled
  // from perfsop's published outputSchema, each timed alone on one retrieve's result.
  const sample = await runTool(memoryUsage, retrieveArgs(), toolContext);
  const inputArgs = retrieveArgs();
  const { tools } = await (await inProcessClient(resources, createServer(app), { framed: false })).listTools();
  const validate = new AjvJsonSchemaValidator().getValidator(tools[0].outputSchema);
  const parts = await interleave([
    op('zod input', async () => memoryUsage.input.safeParse(inputArgs)),
    op('zod output', async () => memoryUsage.output.safeParse(sample.structuredContent)),
    op('ajv', async () => validate(sample.structuredContent)),
  ], opts);
  return { rows, parts };
}

/**
 * L4: real processes over stdio, each server preloaded with a probe that times every call from
 * inside (stdin read to stdout write). A second perfsop client that never lists tools skips the
 * outputSchema check; an invalid call (no key) runs perfsop's process and framework without the
 * database or structured output.
 */
async function stdioLayer(resources, dir, dbPath) {
  const probed = (server, name) => ({
    ...server,
    nodeArgs: ['--import', PROBE],
    env: (arg) => ({ ...server.env(arg), BENCH_PROBE_OUT: join(dir, `${name}.json`) }),
  });
  const perfsop = await connect(resources, probed(SERVERS.perfsop, 'perfsop'), dbPath);
  await perfsop.client.listTools();
  const unchecked = await connect(resources, probed(SERVERS.perfsop, 'unchecked'), dbPath);
  const echo = await connect(resources, probed(SERVERS.echo, 'echo'));
  await echo.client.listTools();
  const stdio = await interleave([
    op('retrieve', () => perfsop.call('memory_usage', retrieveArgs())),
    op('retrieve, no outputSchema check', () => unchecked.call('memory_usage', retrieveArgs())),
    op('perfsop error reply', () => perfsop.client.callTool({ name: 'memory_usage', arguments: { action: 'retrieve' } })),
    op('echo', () => echo.call('echo', { text: randomValue() })),
  ], { ...STDIO, checkBudget: resources.checkBudget });
  const rows = [
    row('L4 stdio: retrieve vs echo', stdio, 'retrieve', 'echo'),
    row('L4 stdio: retrieve without client outputSchema check vs echo', stdio, 'retrieve, no outputSchema check', 'echo'),
    row('L4 stdio: perfsop error reply (no DB, no structured output) vs echo', stdio, 'perfsop error reply', 'echo'),
  ];

  const bytes = (result) => Buffer.byteLength(serializeMessage({ jsonrpc: '2.0', id: 1, result }));
  const replyBytes = {
    retrieve: bytes(await perfsop.call('memory_usage', retrieveArgs())),
    echo: bytes(await echo.call('echo', { text: randomValue() })),
  };

  // The probes write their samples when the servers exit.
  for (const server of [perfsop, unchecked, echo]) await server.close();
  const inside = await probeSamples(dir, {
    retrieve: ['perfsop', 'memory_usage retrieve'],
    'retrieve, no outputSchema check': ['unchecked', 'memory_usage retrieve'],
    'perfsop error reply': ['perfsop', 'memory_usage retrieve no key'],
    echo: ['echo', 'echo'],
  });
  const split = Object.keys(inside).map((name) => [name, fmtMs(stdio[name].p50), fmtMs(inside[name].p50), fmtMs(stdio[name].p50 - inside[name].p50)]);
  return { rows, split, replyBytes };
}

/**
 * Echo made to spin a known number of microseconds per call, timed in pairs against plain echo
 * exactly as bench/memory/run.mjs pairs retrieve with echo: how a given amount of server CPU time
 * shows up in a stdio round trip on this machine.
 */
async function calibrate(resources) {
  const rows = [];
  for (const work of CALIBRATION_US) {
    // A fresh pair each time, so both processes have served the same number of calls.
    const floor = await connect(resources, SERVERS.echo);
    const busy = await connect(resources, SERVERS.echo, work);
    const text = randomValue();
    const pair = await interleave([
      op('echo', () => floor.call('echo', { text })),
      op('busy', () => busy.call('echo', { text })),
    ], { ...STDIO, checkBudget: resources.checkBudget });
    await busy.close();
    await floor.close();
    rows.push([`${work} µs`, fmtMs(pair.busy.p50), fmtMs(pair.echo.p50), fmtMs(pair.busy.p50 - pair.echo.p50), fmtRatio(pair.busy.p50 / pair.echo.p50)]);
  }
  return rows;
}

function report(context, inProcess, stdio, calibration) {
  return [
    '### Memory: where a retrieve round trip spends its time',
    '',
    ...contextLines(context),
    '',
    `memory_usage retrieve vs a baseline (echo, or the named alternative), layer by layer (p50, ${fmtCount(SIZE)} entries, each layer interleaved call by call):`,
    '',
    markdownTable(['layer', 'perfsop ms', 'baseline ms', 'difference ms', 'ratio'], [...inProcess.rows, ...stdio.rows]),
    '',
    `- perfsop zod input schema: ${fmtMs(inProcess.parts['zod input'].p50)} ms, zod output schema: ${fmtMs(inProcess.parts['zod output'].p50)} ms per retrieve (p50).`,
    `- SDK client outputSchema check (AJV, allErrors, formats): ${fmtMs(inProcess.parts.ajv.p50)} ms per retrieve (p50).`,
    `- Reply size on the wire: retrieve ${stdio.replyBytes.retrieve} bytes, echo ${stdio.replyBytes.echo} bytes.`,
    '',
    '#### L4 split: time inside the server process vs outside it',
    '',
    markdownTable(['call over stdio', 'client round trip p50 ms', 'inside the server p50 ms', 'transport and wake-ups ms'], stdio.split),
    '',
    '#### Calibration: echo spinning a fixed CPU time per call vs plain echo, in pairs as bench/memory/run.mjs measures',
    '',
    markdownTable(['spin per call', 'busy echo p50 ms', 'echo p50 ms', 'difference ms', 'ratio'], calibration),
  ].join('\n');
}

async function main() {
  if (!Number.isInteger(SIZE) || SIZE < 1) throw new Error(`--entries must be a positive integer, got "${options.entries}"`);
  const context = runContext('bench/memory/breakdown.mjs');
  const text = await withResources(5 * 60_000, async (resources) => {
    const dir = await resources.tempDir('perfsop-bench-breakdown-');
    const dbPath = join(dir, 'perfsop.db');
    const app = new App({ dbPath, env: { PERFSOP_LOG_LEVEL: 'silent' } });
    const closeApp = resources.add(() => app.close());
    populate(app);
    const inProcess = await inProcessLayers(resources, app);
    await closeApp(); // the stdio servers open the same file
    const stdio = await stdioLayer(resources, dir, dbPath);
    const calibration = await calibrate(resources);
    return report(context, inProcess, stdio, calibration);
  });
  process.stdout.write(`${text}\n`);
  if (options.write) process.stderr.write(`\nwrote ${writeSection('memory-breakdown', text)}\n`);
}

main().catch((error) => {
  process.stderr.write(`breakdown failed: ${error?.stack ?? error}\n`);
  process.exitCode = 1;
});
