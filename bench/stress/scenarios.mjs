// The two stress scenarios of issue 8 ("Trust under stress: load"), shared by the stress tests
// (test/stress/load.test.ts, test/stress/http-sessions.test.ts), which assert on what they
// return, and by bench/stress/run.mjs, which reports the same run's figures. Each scenario checks
// every answer it gets against a model of what the answer must be, and returns the problems it
// found instead of throwing, so a run reports all of them at once.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ListToolsResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { readFileSync } from 'node:fs';
import { createRng, randomIndex, sentence } from '../lib/prng.mjs';
import { elapsedMs, summarize } from '../lib/stats.mjs';

const NAMESPACE = 'stress';
const BUSY = /SQLITE_BUSY|database is locked/i;

function textOf(result) {
  return (result.content ?? []).filter((part) => part.type === 'text').map((part) => part.text).join('\n');
}

/** Per operation: calls, p50 and p99 in milliseconds (nearest rank), in the order first seen. */
export function latencySummary(latency) {
  return Object.entries(latency).map(([op, samples]) => {
    const { n, p50, p99 } = summarize(samples);
    return { op, n, p50, p99 };
  });
}

/** Resident set size of a live process in KiB (Linux), or null where /proc is not there. */
export function rssKb(pid) {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/**
 * Counts and times calls: every failure (an isError answer or a thrown protocol error) is kept
 * with its message, and the call answers undefined so the caller's model is left untouched.
 */
class Recorder {
  latency = {};
  errors = [];
  problems = [];

  async call(label, where, fn) {
    const start = process.hrtime.bigint();
    let result;
    try {
      result = await fn();
    } catch (error) {
      // fetch hides the network error (ECONNRESET, ...) in `cause`.
      const cause = error?.cause ? ` (${error.cause.code ?? ''} ${error.cause.message ?? error.cause})` : '';
      this.errors.push({ where, op: label, message: `${error?.message ?? error}${cause}` });
      return undefined;
    }
    (this.latency[label] ??= []).push(elapsedMs(start));
    if (result.isError) {
      this.errors.push({ where, op: label, message: textOf(result) });
      return undefined;
    }
    return result;
  }

  problem(kind, message) {
    this.problems.push({ kind, message });
  }
}

// ---------------------------------------------------------------------------------------------
// Scenario 1: several perfsop processes over stdio on one database, a mixed memory_usage load.

/**
 * The operations one process will send, drawn up front from its own seeded PRNG, so a run is the
 * same sequence of requests every time whatever the interleaving.
 */
function planOps(rng, proc, { opsPerProcess, processes, privateKeys, sharedKeys, reader }) {
  const ops = [];
  const own = () => `p${proc}/k${randomIndex(rng, privateKeys)}`;
  const shared = () => `shared/k${randomIndex(rng, sharedKeys)}`;
  const foreign = () => {
    const other = (proc + 1 + randomIndex(rng, processes - 1)) % processes;
    return `p${other}/k${randomIndex(rng, privateKeys)}`;
  };
  for (let i = 0; i < opsPerProcess; i++) {
    const roll = rng();
    if (reader) {
      // A process that only reads never clears its read cache by writing, so every retrieve after
      // the first of a key is served from that cache: only PRAGMA data_version keeps it fresh.
      ops.push({ kind: 'retrieve', key: roll < 0.85 ? shared() : foreign() });
      continue;
    }
    if (roll < 0.35) ops.push({ kind: 'store', key: rng() < 0.7 ? own() : shared() });
    else if (roll < 0.65) {
      const which = rng();
      if (which < 0.6) ops.push({ kind: 'retrieve', key: own() });
      else if (which < 0.9) ops.push({ kind: 'retrieve', key: shared() });
      // Another process's private key: its owner may be changing it right now.
      else ops.push({ kind: 'retrieve', key: foreign() });
    } else if (roll < 0.75) ops.push({ kind: 'search', key: own() });
    else if (roll < 0.85) ops.push({ kind: 'list', key: `p${proc}/` });
    else ops.push({ kind: 'delete', key: own() });
  }
  return ops;
}

const ownerOf = (key) => (key.startsWith('shared/') ? null : Number(/^p(\d+)\//.exec(key)[1]));
/** A word that appears in this key's values only; the trailing `z` keeps `tok1x1z` from being a prefix of `tok1x12z` (search matches prefixes). */
const tokenOf = (key) => `tok${key.replace(/[^a-z0-9]+/g, 'x')}z`;

/**
 * One perfsop process's client side: runs its planned operations with `inFlight` requests
 * outstanding, at most one per key, so each key sees this process's operations in plan order and
 * every answer can be checked against the model of what this process acknowledged.
 */
async function runProcess(rec, state, proc, client, ops, { inFlight, valueBytes, rng, onProgress }) {
  const where = `process ${proc}`;
  // Private keys (only this process writes them): present, value, version after our last acknowledged operation.
  const model = state.privateModel;
  const tails = new Map();
  const serialized = (key, fn) => {
    const next = (tails.get(key) ?? Promise.resolve()).then(fn);
    tails.set(key, next);
    return next;
  };
  // Open lists, each collecting the keys whose operations start while it is in flight.
  const watchers = new Set();
  const lastSeen = new Map(); // shared key -> highest version this process has seen
  // A read may return the version this process saw last; a store of its own must answer a newer one.
  const seeShared = (key, version, how) => {
    const before = lastSeen.get(key) ?? 0;
    if (how === 'store of' ? version <= before : version < before) rec.problem('stale read', `${where}: ${how} ${key} version ${version} after having seen version ${before}`);
    lastSeen.set(key, Math.max(before, version));
  };
  let seq = 0;
  const memory = (args) => client.callTool({ name: 'memory_usage', arguments: { namespace: NAMESPACE, ...args } });

  const run = async (op) => {
    const { kind, key } = op;
    for (const started of watchers) started.add(key);
    if (kind === 'store') {
      const value = `${tokenOf(key)} w${proc}n${seq++} ${sentence(rng, valueBytes)}`;
      const expected = model.get(key);
      const result = await rec.call('store', where, () => memory({ action: 'store', key, value }));
      if (!result) return;
      const { version, created } = result.structuredContent;
      if (key.startsWith('shared/')) {
        seeShared(key, version, 'store of');
        state.sharedWrites.push({ proc, key, version, value });
        state.sharedAcked.set(key, Math.max(state.sharedAcked.get(key) ?? 0, version));
      } else {
        const want = expected?.present ? expected.version + 1 : 1;
        if (version !== want || created !== (want === 1)) rec.problem('version', `${where}: store ${key} answered version ${version} created ${created}, expected version ${want}`);
        model.set(key, { present: true, value, version });
        state.privateWrites.get(key).add(value);
      }
    } else if (kind === 'retrieve') {
      // A store acknowledged to any process before this read was sent has committed, so the read
      // must see it or something newer (the per-process caches must not serve an older row).
      const floor = state.sharedAcked.get(key) ?? 0;
      const result = await rec.call('retrieve', where, () => memory({ action: 'retrieve', key }));
      if (!result) return;
      const { found, value, version } = result.structuredContent;
      const owner = ownerOf(key);
      if (owner === null && (found ? version : 0) < floor) {
        rec.problem('stale read', `${where}: retrieve ${key} gave ${found ? `version ${version}` : 'not found'} after version ${floor} was acknowledged`);
      }
      if (owner === null) {
        if (found) {
          seeShared(key, version, 'retrieve of');
          state.sharedReads.push({ proc, key, version, value });
        } else if (lastSeen.has(key)) rec.problem('lost write', `${where}: ${key} not found after this process saw version ${lastSeen.get(key)}`);
      } else if (owner === proc) {
        const expected = model.get(key);
        if (!expected?.present) {
          if (found) rec.problem('lost write', `${where}: ${key} found (version ${version}) after this process deleted it or never stored it`);
        } else if (!found || value !== expected.value || version !== expected.version) {
          rec.problem('lost write', `${where}: retrieve ${key} gave ${found ? `version ${version} "${String(value).slice(0, 30)}"` : 'not found'}, expected version ${expected.version} "${expected.value.slice(0, 30)}"`);
        }
      } else if (found) {
        state.foreignReads.push({ proc, key, value });
      }
    } else if (kind === 'search') {
      const result = await rec.call('search', where, () => memory({ action: 'search', pattern: tokenOf(key), limit: 5 }));
      if (!result) return;
      const expected = model.get(key);
      const hits = result.structuredContent.results;
      const ok = expected?.present ? hits.length === 1 && hits[0].key === key && hits[0].version === expected.version : hits.length === 0;
      if (!ok) {
        rec.problem('search', `${where}: search for ${key}'s token gave ${JSON.stringify(hits.map((h) => [h.key, h.version]))}, expected ${expected?.present ? `[${key}, ${expected.version}]` : 'nothing'}`);
      }
    } else if (kind === 'list') {
      // Keys with an operation in flight, or starting one while the list is in flight, may or may
      // not count; every other key must count exactly as the model says.
      const uncertain = new Set([...tails.keys()].filter((k) => k.startsWith(key)));
      const presentBefore = [...model].filter(([k, entry]) => k.startsWith(key) && entry.present).map(([k]) => k);
      const started = new Set();
      watchers.add(started);
      const result = await rec.call('list', where, () => memory({ action: 'list', prefix: key, limit: 5 }));
      watchers.delete(started);
      if (!result) return;
      for (const k of started) uncertain.add(k);
      const certain = presentBefore.filter((k) => !uncertain.has(k)).length;
      const { total, entries } = result.structuredContent;
      if (total < certain || total > certain + uncertain.size || entries.some((e) => !e.key.startsWith(key))) {
        rec.problem('list', `${where}: list ${key} total ${total}, expected ${certain} to ${certain + uncertain.size}`);
      }
    } else {
      const expected = model.get(key);
      const result = await rec.call('delete', where, () => memory({ action: 'delete', key }));
      if (!result) return;
      const { deleted } = result.structuredContent;
      if (deleted !== Boolean(expected?.present)) rec.problem('lost write', `${where}: delete ${key} answered deleted=${deleted}, expected ${Boolean(expected?.present)}`);
      model.set(key, { present: false });
    }
  };

  let next = 0;
  const worker = async () => {
    while (next < ops.length) {
      const op = ops[next++];
      // The key's queue holds the whole operation, so the next one on this key starts after its answer.
      const lane = op.kind === 'list' ? `list:${op.key}` : op.key;
      const done = serialized(lane, () => run(op));
      await done;
      if (tails.get(lane) === done) tails.delete(lane);
      onProgress();
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
}

function stdioPerfsop(cli, env, name) {
  const transport = new StdioClientTransport({ command: process.execPath, args: [cli], env, stderr: 'pipe' });
  let stderr = '';
  transport.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const client = new Client({ name, version: '0.0.0' });
  return {
    client,
    stderr: () => stderr,
    async start() {
      await client.connect(transport);
      // Real clients list tools first; the SDK client then validates every structuredContent.
      await client.listTools();
      return transport.pid;
    },
    close: () => client.close(),
  };
}

/**
 * `processes` perfsop processes (the built CLI over stdio, one SDK client each) on one database,
 * each sending `opsPerProcess` memory_usage calls with `inFlight` outstanding. Then a fresh
 * process reads the final state. Returns latencies per operation, every error, and every
 * problem found (see checkFinal for what is checked).
 */
export async function processLoad(options) {
  const {
    cli, dbPath, processes = 8, opsPerProcess = 5_000, inFlight = 4, privateKeys = 40, sharedKeys = 16,
    readers = 1, valueBytes = 120, seed = 0x51e55, env = {}, log = () => {},
  } = options;
  const rec = new Recorder();
  const state = {
    privateModel: new Map(),
    privateWrites: new Map(),
    sharedWrites: [],
    /** Shared key -> highest version any process has had acknowledged so far. */
    sharedAcked: new Map(),
    sharedReads: [],
    foreignReads: [],
  };
  for (let p = 0; p < processes; p++) for (let k = 0; k < privateKeys; k++) state.privateWrites.set(`p${p}/k${k}`, new Set());
  const serverEnv = { ...env, PERFSOP_DB: dbPath, PERFSOP_LOG_LEVEL: 'warn' };

  const servers = Array.from({ length: processes }, (_, p) => stdioPerfsop(cli, serverEnv, `stress-${p}`));
  let done = 0;
  const total = processes * opsPerProcess;
  let elapsed;
  try {
    // Every process starts before any call, so they all open (and migrate) the new file together.
    const pids = await Promise.all(servers.map((s) => s.start()));
    if (new Set(pids).size !== processes) rec.problem('setup', `expected ${processes} distinct processes, got pids ${pids.join(', ')}`);
    log(`${processes} perfsop processes up (pids ${pids.join(', ')}); ${total} operations, ${inFlight} in flight each`);
    const ticker = setInterval(() => log(`  ${done}/${total} operations, ${rec.errors.length} errors, ${rec.problems.length} problems`), 5_000);
    const start = process.hrtime.bigint();
    try {
      await Promise.all(servers.map((server, p) => {
        // The last `readers` processes only read; the others send the mixed load.
        const reader = p >= processes - readers;
        const ops = planOps(createRng(seed + p), p, { opsPerProcess, processes, privateKeys, sharedKeys, reader });
        // Filler text only; which value goes with which store depends on the interleaving anyway.
        const rng = createRng(seed + processes + p);
        return runProcess(rec, state, p, server.client, ops, { inFlight, valueBytes, rng, onProgress: () => done++ });
      }));
    } finally {
      clearInterval(ticker);
    }
    elapsed = elapsedMs(start);
  } finally {
    await Promise.allSettled(servers.map((s) => s.close()));
  }
  const busyInLogs = servers.reduce((n, s) => n + (s.stderr().match(new RegExp(BUSY, 'gi'))?.length ?? 0), 0);
  log(`load done in ${(elapsed / 1000).toFixed(1)} s; reading the final state through a fresh process`);

  const reader = stdioPerfsop(cli, serverEnv, 'stress-verify');
  let lostWrites;
  try {
    await reader.start();
    lostWrites = await checkFinal(rec, state, reader.client, { processes, privateKeys, sharedKeys });
  } finally {
    await reader.close();
  }
  const busyErrors = rec.errors.filter((e) => BUSY.test(e.message)).length;
  return {
    processes, readers, opsPerProcess, inFlight, privateKeys, sharedKeys, operations: done, elapsedMs: elapsed,
    latency: rec.latency, errors: rec.errors, busyErrors, busyInLogs, problems: rec.problems, lostWrites,
    sharedWrites: state.sharedWrites.length,
  };
}

/**
 * What the final state must be, read by a process that took no part in the load:
 * - a private key (written and deleted only by its owner, one operation at a time) holds exactly
 *   the owner's last acknowledged write, value and version, or is absent if that was a delete;
 *   a prefix list of each owner's keys counts exactly the present ones;
 * - a shared key (stored by every process, never deleted): the versions the stores answered are
 *   exactly 1..N, each once (a repeated version is an update that overwrote another without
 *   seeing it); the final row is version N with the value of the store that answered N, which
 *   is the last store its process made to that key;
 * - every read of a shared key returned a (version, value) pair that some store answered, and
 *   every read of another process's private key returned a value its owner wrote there.
 * Returns how many keys lost a write (a private key not as last acknowledged, a shared key whose
 * versions repeat or whose final row is not the latest store).
 */
async function checkFinal(rec, state, client, { processes, privateKeys, sharedKeys }) {
  const retrieve = async (key) => {
    const result = await rec.call('verify retrieve', 'verifier', () => client.callTool({ name: 'memory_usage', arguments: { namespace: NAMESPACE, action: 'retrieve', key } }));
    return result?.structuredContent;
  };
  const lost = new Set();
  for (let p = 0; p < processes; p++) {
    let present = 0;
    for (let k = 0; k < privateKeys; k++) {
      const key = `p${p}/k${k}`;
      const expected = state.privateModel.get(key) ?? { present: false };
      const got = await retrieve(key);
      if (!got) continue;
      if (expected.present) present += 1;
      const ok = expected.present ? got.found && got.value === expected.value && got.version === expected.version : !got.found;
      if (!ok) {
        lost.add(key);
        rec.problem('lost write', `final ${key}: ${got.found ? `version ${got.version}` : 'absent'}, last acknowledged: ${expected.present ? `version ${expected.version}` : 'deleted or never stored'}`);
      }
    }
    const listed = await rec.call('verify list', 'verifier', () => client.callTool({ name: 'memory_usage', arguments: { namespace: NAMESPACE, action: 'list', prefix: `p${p}/`, limit: 1 } }));
    if (listed && listed.structuredContent.total !== present) {
      rec.problem('lost write', `final list p${p}/: total ${listed.structuredContent.total}, expected ${present}`);
    }
  }

  const byKey = new Map();
  for (const write of state.sharedWrites) {
    if (!byKey.has(write.key)) byKey.set(write.key, new Map());
    const versions = byKey.get(write.key);
    if (versions.has(write.version)) {
      lost.add(write.key);
      rec.problem('lost write', `${write.key}: version ${write.version} answered to two stores (processes ${versions.get(write.version).proc} and ${write.proc})`);
    }
    versions.set(write.version, write);
  }
  const lastByProcess = new Map();
  for (const write of state.sharedWrites) lastByProcess.set(`${write.proc}:${write.key}`, write);
  for (let k = 0; k < sharedKeys; k++) {
    const key = `shared/k${k}`;
    const versions = byKey.get(key) ?? new Map();
    const n = state.sharedWrites.filter((w) => w.key === key).length;
    for (let v = 1; v <= n; v++) {
      if (!versions.has(v)) rec.problem('version', `${key}: ${n} stores acknowledged but none answered version ${v}`);
    }
    const got = await retrieve(key);
    if (!got) continue;
    if (n === 0) {
      if (got.found) rec.problem('lost write', `${key}: found but never stored`);
      continue;
    }
    const latest = versions.get(n);
    if (!got.found || got.version !== n || got.value !== latest?.value) {
      lost.add(key);
      rec.problem('lost write', `final ${key}: ${got.found ? `version ${got.version}` : 'absent'}, expected version ${n} (${n} stores acknowledged)`);
    } else if (lastByProcess.get(`${latest.proc}:${key}`) !== latest) {
      rec.problem('lost write', `final ${key}: version ${n} is not the last store process ${latest.proc} acknowledged`);
    }
  }
  for (const read of state.sharedReads) {
    const write = byKey.get(read.key)?.get(read.version);
    if (!write || write.value !== read.value) {
      rec.problem('stale read', `process ${read.proc} read ${read.key} version ${read.version} with a value no store answered for that version`);
    }
  }
  for (const read of state.foreignReads) {
    if (!state.privateWrites.get(read.key)?.has(read.value)) {
      rec.problem('stale read', `process ${read.proc} read ${read.key} with a value its owner never wrote`);
    }
  }
  return lost.size;
}

// ---------------------------------------------------------------------------------------------
// Scenario 2: many concurrent HTTP sessions on one `perfsop --http` process.

/**
 * One session's calls, in order: its own keys and a word only its values hold, so every answer
 * can be checked to belong to this session and no other.
 */
function sessionPlan(id, calls) {
  const plan = [];
  for (let i = 0; plan.length < calls; i++) {
    const key = `http/${id}/k${i % 4}`;
    plan.push(
      { tool: 'memory_usage store', key },
      { tool: 'memory_usage retrieve', key },
      { tool: 'memory_usage search', key },
      { tool: 'tools/list' },
      { tool: i % 2 === 0 ? 'performance_report' : 'token_usage' },
    );
  }
  return plan.slice(0, calls);
}

async function runSession(rec, url, transportKind, id, calls, onProgress) {
  const where = `${transportKind} session ${id}`;
  const client = new Client({ name: `stress-${id}`, version: '0.0.0' });
  const transport = transportKind === 'sse'
    ? new SSEClientTransport(new URL(`${url}/sse`))
    : new StreamableHTTPClientTransport(new URL(`${url}/mcp`));
  const connected = await rec.call('connect', where, async () => {
    await client.connect(transport);
    return {};
  });
  if (!connected) return;
  const stored = new Map(); // key -> { value, version }
  const memory = (args) => client.callTool({ name: 'memory_usage', arguments: { namespace: NAMESPACE, ...args } });
  try {
    let n = 0;
    for (const step of sessionPlan(id, calls)) {
      const { tool, key } = step;
      if (tool === 'memory_usage store') {
        const value = `${tokenOf(key)} ${id} call ${n}`;
        const result = await rec.call(tool, where, () => memory({ action: 'store', key, value }));
        if (result) {
          const want = (stored.get(key)?.version ?? 0) + 1;
          if (result.structuredContent.version !== want) rec.problem('version', `${where}: store ${key} answered version ${result.structuredContent.version}, expected ${want}`);
          stored.set(key, { value, version: want });
        }
      } else if (tool === 'memory_usage retrieve') {
        const result = await rec.call(tool, where, () => memory({ action: 'retrieve', key }));
        const want = stored.get(key);
        if (result && (result.structuredContent.value !== want?.value || result.structuredContent.version !== want?.version)) {
          rec.problem('wrong answer', `${where}: retrieve ${key} gave ${JSON.stringify(result.structuredContent.value)}, expected ${JSON.stringify(want?.value)}`);
        }
      } else if (tool === 'memory_usage search') {
        const result = await rec.call(tool, where, () => memory({ action: 'search', pattern: tokenOf(key) }));
        const keys = result?.structuredContent.results.map((r) => r.key);
        if (result && (keys.length !== 1 || keys[0] !== key)) rec.problem('wrong answer', `${where}: search for ${key}'s word gave ${JSON.stringify(keys)}`);
      } else if (tool === 'tools/list') {
        // client.request rather than client.listTools: listTools compiles an AJV validator for every
        // tool's output schema on each call, 0.2-1 s of client CPU for perfsop's 54 KB tool list on
        // this 2-core machine. 55 sessions in one client process would then measure that, block the
        // client's event loop for seconds and make it reuse keep-alive sockets the server had
        // closed meanwhile (`fetch failed: other side closed`).
        const result = await rec.call(tool, where, () => client.request({ method: 'tools/list' }, ListToolsResultSchema));
        if (result && !result.tools.some((t) => t.name === 'memory_usage')) rec.problem('wrong answer', `${where}: tools/list without memory_usage`);
      } else {
        // A tiny timeframe keeps the report to this run's data; what matters is that it answers.
        const args = tool === 'performance_report' ? { format: 'summary', timeframe: '1h' } : { timeframe: '1h' };
        const result = await rec.call(tool, where, () => client.callTool({ name: tool, arguments: args }));
        if (result && result.structuredContent?.success !== true) rec.problem('wrong answer', `${where}: ${tool} answered ${textOf(result).slice(0, 200)}`);
      }
      n += 1;
      onProgress();
    }
  } finally {
    // A well-behaved client ends its Streamable HTTP session (DELETE), so the server can free it
    // now rather than after 30 idle minutes; the SSE session ends when its stream closes.
    if (transport instanceof StreamableHTTPClientTransport) {
      await rec.call('terminate', where, async () => {
        await transport.terminateSession();
        return {};
      });
    }
    await client.close();
  }
}

/**
 * `sessions` Streamable HTTP sessions and `sseSessions` legacy SSE sessions, all open at once
 * against one perfsop --http at `url`, each making `callsEach` calls one after another.
 */
export async function httpSessions(options) {
  // `tag` makes session ids (and so keys) unique across several runs on one database.
  const { url, sessions = 50, sseSessions = 5, callsEach = 40, pid, tag = '', log = () => {} } = options;
  const rec = new Recorder();
  const rssBefore = pid ? rssKb(pid) : null;
  let done = 0;
  const total = (sessions + sseSessions) * callsEach;
  log(`${sessions} Streamable HTTP + ${sseSessions} SSE sessions, ${callsEach} calls each`);
  const ticker = setInterval(() => log(`  ${done}/${total} calls, ${rec.errors.length} errors, ${rec.problems.length} problems`), 5_000);
  const start = process.hrtime.bigint();
  try {
    await Promise.all([
      ...Array.from({ length: sessions }, (_, i) => runSession(rec, url, 'streamable', `${tag}s${i}`, callsEach, () => done++)),
      ...Array.from({ length: sseSessions }, (_, i) => runSession(rec, url, 'sse', `${tag}sse${i}`, callsEach, () => done++)),
    ]);
  } finally {
    clearInterval(ticker);
  }
  const elapsed = elapsedMs(start);
  return {
    sessions, sseSessions, callsEach, calls: done, elapsedMs: elapsed,
    latency: rec.latency, errors: rec.errors, problems: rec.problems,
    rssKb: { before: rssBefore, after: pid ? rssKb(pid) : null },
  };
}
