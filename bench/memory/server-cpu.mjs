#!/usr/bin/env node
// Where a server's CPU goes per call: perfsop answering memory_usage retrieve and echo answering
// echo, each run under V8's CPU profiler (--cpu-prof, one sample every 100 µs) for the same number
// of sequential calls from an SDK client over stdio. Only samples taken between the first and the
// last timed call count (the profile and the client read the same monotonic clock), so start-up
// and warm-up are left out; each sample's self time goes to the part of the stack it belongs to.
//
//   node bench/memory/server-cpu.mjs [--entries N] [--calls N] [--write]   (needs npm run build)
//
// bench/memory/breakdown.mjs times layers from outside; this says which code is behind the
// difference, e.g. what the SQLite lookup costs next to the SDK's own validation.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openDatabase } from '../../dist/src/store/db.js';
import { MemoryStore } from '../../dist/src/store/memory.js';
import { createRng, randomIndex } from '../lib/prng.mjs';
import { contextLines, runContext, writeSection } from '../lib/results-file.mjs';
import { withResources } from '../lib/resources.mjs';
import { SERVERS, connect } from '../lib/servers.mjs';
import { fmtCount, markdownTable } from '../lib/stats.mjs';
import { NAMESPACE, SEED, key, value } from './entries.mjs';

const { values: options } = parseArgs({
  options: {
    entries: { type: 'string', default: '100000' },
    calls: { type: 'string', default: '20000' },
    write: { type: 'boolean', default: false },
  },
});
const SIZE = Number(options.entries);
const CALLS = Number(options.calls);
const WARMUP = 3_000;
const SAMPLING_US = 100;

/**
 * The parts of a stack, first match wins. A frame is "function url:line"; V8 puts native work (a
 * SQLite step, a write(2) on the pipe, JSON.parse) in the JS frame that called it.
 */
const PARTS = [
  ['write to the stdout pipe', /^(writeUtf8String|writeBuffer|writev|handleWriteReq|createWriteWrap|writeGeneric|writevGeneric) /],
  ['garbage collection', /^\(garbage collector\)/],
  ['zod validation (the SDK\'s schemas and perfsop\'s)', /\/zod\/|^\(anon\) :\d+$/],
  ['SQLite: lookup, read cache, batched read counts', /better-sqlite3\/|dist\/src\/store\//],
  ['stdio framing and JSON (read, parse, serialize)', /dist\/src\/transports\/|sdk\/dist\/esm\/shared\/stdio\.js|^onStreamRead /],
  ['MCP SDK protocol and server', /@modelcontextprotocol\/sdk\//],
  ['perfsop tool path (runTool, memory_usage, reply, call log)', /dist\/src\/|dist\/tools\/|bench\/memory\/echo-server/],
  ['Node internals and the event loop', /./],
];

function frameName(node) {
  const { functionName, url, lineNumber } = node.callFrame;
  return `${functionName || '(anon)'} ${url.replace(/^file:\/\//, '')}:${lineNumber + 1}`;
}

/** Self time per part, in µs per call, of the samples taken within [fromNs, toNs]. */
function attribute(profile, fromNs, toNs, calls) {
  const part = new Map(profile.nodes.map((node) => {
    const name = frameName(node);
    if (/^\((idle|program)\)/.test(name)) return [node.id, undefined];
    return [node.id, PARTS.find(([, pattern]) => pattern.test(name))[0]];
  }));
  const totals = new Map(PARTS.map(([label]) => [label, 0]));
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i];
    const ns = at * 1000;
    if (ns < fromNs || ns > toNs) continue;
    const label = part.get(profile.samples[i]);
    if (label) totals.set(label, totals.get(label) + (profile.timeDeltas[i + 1] ?? SAMPLING_US));
  }
  return new Map([...totals].map(([label, us]) => [label, us / calls]));
}

async function profileServer(resources, dir, server, envValue, makeCall) {
  const outDir = join(dir, `profile-${server.label}`);
  const profiled = { ...server, nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${outDir}`, `--cpu-prof-interval=${SAMPLING_US}`] };
  const connection = await connect(resources, profiled, envValue);
  await connection.client.listTools();
  for (let i = 0; i < WARMUP; i++) await makeCall(connection);
  const from = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) await makeCall(connection);
  const to = process.hrtime.bigint();
  await connection.close(); // the profile is written as the server exits
  const [file] = readdirSync(outDir);
  const profile = JSON.parse(readFileSync(join(outDir, file), 'utf8'));
  return { perCall: attribute(profile, Number(from), Number(to), CALLS), wallUs: Number(to - from) / 1000 / CALLS };
}

function report(context, perfsop, echo) {
  const us = (x) => x.toFixed(1);
  const rows = PARTS.map(([label]) => [label, us(perfsop.perCall.get(label)), us(echo.perCall.get(label)), us(perfsop.perCall.get(label) - echo.perCall.get(label))]);
  const sum = (m) => [...m.values()].reduce((a, b) => a + b, 0);
  rows.push(['**all of the server\'s CPU**', `**${us(sum(perfsop.perCall))}**`, `**${us(sum(echo.perCall))}**`, `**${us(sum(perfsop.perCall) - sum(echo.perCall))}**`]);
  return [
    '### Memory: where the server\'s CPU goes per call',
    '',
    ...contextLines(context),
    '',
    `perfsop answering memory_usage retrieve of random keys among ${fmtCount(SIZE)} entries, and echo answering echo with a value of the same size, ${fmtCount(CALLS)} sequential calls each after ${fmtCount(WARMUP)} warm-up calls, under \`--cpu-prof\` (a sample every ${SAMPLING_US} µs). Server CPU in µs per call, by the part of the stack each sample's own time belongs to:`,
    '',
    markdownTable(['part', 'perfsop µs', 'echo µs', 'difference µs'], rows),
    '',
    `- Wall time per call under the profiler: perfsop ${us(perfsop.wallUs)} µs, echo ${us(echo.wallUs)} µs (the profiler slows both; compare CPU, not these).`,
    '- Native work is counted in the JS frame that called it: the SQLite row counts under SQLite, the write(2) on the pipe under "write to the stdout pipe".',
    '- zod runs for both servers in the SDK (every message is checked against the JSON-RPC schemas; a request is first tried as a response and as an error), and in perfsop for the tool\'s input and output too. Functions zod compiles at run time (no file) count as zod.',
  ].join('\n');
}

async function main() {
  if (!Number.isInteger(SIZE) || SIZE < 1) throw new Error(`--entries must be a positive integer, got "${options.entries}"`);
  if (!Number.isInteger(CALLS) || CALLS < 100) throw new Error(`--calls must be an integer >= 100, got "${options.calls}"`);
  const context = runContext('bench/memory/server-cpu.mjs');
  const text = await withResources(10 * 60_000, async (resources) => {
    const dir = await resources.tempDir('perfsop-bench-server-cpu-');
    const dbPath = join(dir, 'perfsop.db');
    const db = openDatabase(dbPath);
    const memory = new MemoryStore(db, { maxValueBytes: 1 << 20 });
    db.transaction(() => {
      for (let i = 0; i < SIZE; i++) memory.store(NAMESPACE, key(i), value(i));
    })();
    memory.close();
    db.close();
    const rng = createRng(SEED);
    const perfsop = await profileServer(resources, dir, SERVERS.perfsop, dbPath, (c) => c.call('memory_usage', { action: 'retrieve', namespace: NAMESPACE, key: key(randomIndex(rng, SIZE)) }));
    const echo = await profileServer(resources, dir, SERVERS.echo, undefined, (c) => c.call('echo', { text: value(randomIndex(rng, SIZE)) }));
    return report(context, perfsop, echo);
  });
  process.stdout.write(`${text}\n`);
  if (options.write) process.stderr.write(`\nwrote ${writeSection('memory-server-cpu', text)}\n`);
}

main().catch((error) => {
  process.stderr.write(`server-cpu failed: ${error?.stack ?? error}\n`);
  process.exitCode = 1;
});
