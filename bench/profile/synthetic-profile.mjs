// A synthetic V8 .cpuprofile of a chosen size, shaped like one a long profiling session of a real
// service writes: a call tree of ~100k nodes over a few thousand functions (the service's own files,
// node_modules packages, node internals and natives, with recursion here and there), stacks 10-60
// frames deep, millions of samples at a ~1 ms interval (perfsop's agent default) with jittered and
// occasionally negative deltas, bursts of work between idle stretches and a few long uninterrupted
// runs (blocking episodes), hitCount on every node and positionTicks on the ones that were hit.
// A seeded PRNG builds it, so every run analyzes the same file.
import { closeSync, openSync, writeSync } from 'node:fs';
import { createRng } from '../lib/prng.mjs';

/** The service's folder in the synthetic profile's urls (no such folder needs to exist). */
export const APP_ROOT = '/srv/shop';

const VERBS = ['get', 'load', 'find', 'build', 'parse', 'render', 'validate', 'apply', 'compute', 'handle', 'format', 'resolve', 'fetch', 'update', 'map', 'merge', 'check', 'create', 'serialize', 'normalize'];
const NOUNS = ['Cart', 'Order', 'Price', 'Tax', 'Coupon', 'User', 'Session', 'Product', 'Stock', 'Address', 'Invoice', 'Payment', 'Route', 'Query', 'Row', 'Token', 'Header', 'Body', 'Item', 'Rule'];
const FOLDERS = ['routes', 'services', 'db', 'lib', 'models', 'middleware', 'utils'];
const PACKAGES = [
  'express', 'body-parser', 'pg', 'pg-protocol', 'mysql2', 'lodash', 'ajv', 'pino', 'debug', 'qs', 'iconv-lite', 'raw-body',
  'cookie', 'jsonwebtoken', 'jws', 'semver', 'uuid', 'dayjs', 'zod', '@fastify/busboy', '@opentelemetry/api', 'ioredis',
  'bluebird', 'knex', 'sequelize', 'mime-types', 'path-to-regexp', 'send', 'on-finished', 'safe-buffer',
];
const NODE_FILES = [
  'node:internal/process/task_queues', 'node:internal/timers', 'node:events', 'node:_http_server', 'node:_http_common',
  'node:_http_outgoing', 'node:internal/streams/readable', 'node:internal/streams/writable', 'node:net', 'node:buffer',
  'node:internal/util', 'node:internal/async_hooks', 'node:internal/url', 'node:zlib', 'node:crypto', 'node:internal/crypto/hash',
  'node:internal/console/constructor', 'node:internal/fs/utils', 'node:fs', 'node:internal/validators',
];
const NATIVES = ['parse', 'stringify', 'writev', 'writeUtf8String', 'readSync', 'pbkdf2Sync', 'digest', 'compile', 'exec', 'test', 'replace', 'split', 'join', 'sort', 'slice', 'concat', 'all', 'get', 'run', 'step'];
const TOP = ['processTicksAndRejections', 'listOnTimeout', 'processTimers', 'emit', 'onStreamRead', 'parserOnIncoming', 'runMicrotasks'];

const ROOT_ID = 1;
const PROGRAM_ID = 2;
const IDLE_ID = 3;
const GC_ID = 4;
const KINDS = { user: 0, dependency: 1, node: 2, native: 3 };

/** The function pool: every distinct (name, url, line, column) the tree can use, grouped by kind. */
function functionPool(rng) {
  const pick = (list) => list[Math.floor(rng() * list.length)];
  const pool = { frames: [], kindOf: [], packageOf: [], byKind: [[], [], [], []], byPackage: new Map() };
  let scriptId = 10;
  const add = (kind, frame, pkg = -1) => {
    const index = pool.frames.length;
    pool.frames.push(frame);
    pool.kindOf.push(kind);
    pool.packageOf.push(pkg);
    pool.byKind[kind].push(index);
    if (pkg >= 0) {
      if (!pool.byPackage.has(pkg)) pool.byPackage.set(pkg, []);
      pool.byPackage.get(pkg).push(index);
    }
  };
  const fileFunctions = (kind, url, count, pkg) => {
    const id = String(scriptId++);
    let line = Math.floor(rng() * 10);
    for (let i = 0; i < count; i++) {
      line += 3 + Math.floor(rng() * 40);
      const name = rng() < 0.08 ? '' : `${pick(VERBS)}${pick(NOUNS)}${rng() < 0.3 ? pick(NOUNS) : ''}`;
      add(kind, { functionName: name, scriptId: id, url, lineNumber: line, columnNumber: Math.floor(rng() * 30) }, pkg);
    }
  };
  for (let f = 0; f < 160; f++) {
    fileFunctions(KINDS.user, `file://${APP_ROOT}/src/${pick(FOLDERS)}/${pick(VERBS)}-${pick(NOUNS).toLowerCase()}-${f}.js`, 4 + Math.floor(rng() * 22));
  }
  PACKAGES.forEach((name, pkg) => {
    const files = 2 + Math.floor(rng() * 8);
    for (let f = 0; f < files; f++) fileFunctions(KINDS.dependency, `file://${APP_ROOT}/node_modules/${name}/lib/${pick(NOUNS).toLowerCase()}-${f}.js`, 5 + Math.floor(rng() * 25), pkg);
  });
  for (const url of NODE_FILES) fileFunctions(KINDS.node, url, 8 + Math.floor(rng() * 20));
  for (const name of NATIVES) add(KINDS.native, { functionName: name, scriptId: '0', url: '', lineNumber: -1, columnNumber: -1 });
  for (const name of TOP) add(KINDS.node, { functionName: name, scriptId: String(scriptId++), url: 'node:internal/process/task_queues', lineNumber: 60 + Math.floor(rng() * 40), columnNumber: 34 });
  return pool;
}

/** Who a frame of each kind calls: a Markov chain over kinds, staying in the same package mostly. */
function calleeOf(rng, pool, parentFn) {
  const kind = parentFn < 0 ? KINDS.node : pool.kindOf[parentFn];
  const r = rng();
  let next;
  if (kind === KINDS.user) next = r < 0.5 ? KINDS.user : r < 0.75 ? KINDS.dependency : r < 0.9 ? KINDS.node : KINDS.native;
  else if (kind === KINDS.dependency) next = r < 0.6 ? KINDS.dependency : r < 0.75 ? KINDS.user : r < 0.9 ? KINDS.node : KINDS.native;
  else if (kind === KINDS.node) next = r < 0.45 ? KINDS.node : r < 0.7 ? KINDS.user : r < 0.85 ? KINDS.dependency : KINDS.native;
  else next = r < 0.5 ? KINDS.user : r < 0.8 ? KINDS.dependency : KINDS.node; // a native calling back into JavaScript
  if (next === KINDS.dependency && kind === KINDS.dependency && rng() < 0.8) {
    const same = pool.byPackage.get(pool.packageOf[parentFn]);
    return same[Math.floor(rng() * same.length)];
  }
  const list = pool.byKind[next];
  // Skewed: a few functions of each kind are called from many places.
  return list[Math.floor(list.length * rng() ** 2)];
}

/** The call tree: grown by random descents from the root, each adding one new frame where it stops. */
function buildTree(rng, pool, nodeCount) {
  const fn = new Int32Array(nodeCount + 1); // node id -> function index; -1 .. -4 for V8's pseudo frames
  const parent = new Int32Array(nodeCount + 1);
  const depth = new Int32Array(nodeCount + 1);
  const children = Array.from({ length: nodeCount + 1 }, () => []);
  fn[ROOT_ID] = -1;
  fn[PROGRAM_ID] = -2;
  fn[IDLE_ID] = -3;
  fn[GC_ID] = -4;
  for (const id of [PROGRAM_ID, IDLE_ID, GC_ID]) {
    parent[id] = ROOT_ID;
    depth[id] = 1;
    children[ROOT_ID].push(id);
  }
  const ancestors = [];
  let id = GC_ID + 1;
  while (id <= nodeCount) {
    let at = ROOT_ID;
    ancestors.length = 0;
    for (;;) {
      const kids = at === ROOT_ID ? children[at].slice(3) : children[at];
      const descend = Math.max(0.5, 0.97 - depth[at] * 0.005);
      if (kids.length === 0 || rng() >= descend) break;
      at = kids[Math.floor(kids.length * rng() ** 1.5)];
      ancestors.push(fn[at]);
    }
    // A new call path below it: a chain of frames (middleware, wrappers, callbacks) of geometric length.
    const chain = 1 + Math.floor(Math.log(1 - rng()) / Math.log(1 - 1 / 5));
    for (let k = 0; k < chain && id <= nodeCount; k++, id++) {
      let callee;
      if (at === ROOT_ID) callee = pool.byKind[KINDS.node][pool.byKind[KINDS.node].length - 1 - Math.floor(rng() * TOP.length)];
      else if (ancestors.length > 4 && rng() < 0.02) callee = ancestors[ancestors.length - 2 - Math.floor(rng() * 3)]; // recursion
      else callee = calleeOf(rng, pool, fn[at]);
      fn[id] = callee;
      parent[id] = at;
      depth[id] = depth[at] + 1;
      children[at].push(id);
      ancestors.push(callee);
      at = id;
    }
  }
  return { fn, parent, depth, children };
}

const digits = (n) => (n < 0 ? 1 + digits(-n) : n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : n < 10_000 ? 4 : n < 100_000 ? 5 : n < 1_000_000 ? 6 : String(n).length);

/** Appends strings to a file through a 1 MB buffer. */
function bufferedWriter(path) {
  const fd = openSync(path, 'w');
  let parts = [];
  let size = 0;
  let bytes = 0;
  const flush = () => {
    if (parts.length === 0) return;
    const buffer = Buffer.from(parts.join(''), 'utf8');
    writeSync(fd, buffer);
    bytes += buffer.length;
    parts = [];
    size = 0;
  };
  return {
    write(text) {
      parts.push(text);
      size += text.length;
      if (size >= 1 << 20) flush();
    },
    close() {
      flush();
      closeSync(fd);
      return bytes;
    },
  };
}

/**
 * Writes the profile to `path` and describes it. `targetBytes` is approached within ~1%: the tree
 * comes first (100k nodes, fewer for a file under 100 MB), then samples are drawn until their share
 * of the budget is used.
 */
export function writeSyntheticProfile(path, { targetBytes, nodeCount = Math.min(100_000, Math.round(targetBytes / 1000)), seed = 0xc9f1 }) {
  const rng = createRng(seed);
  const pool = functionPool(rng);
  const tree = buildTree(rng, pool, nodeCount);
  const frameOf = (id) => {
    const f = tree.fn[id];
    if (f >= 0) return pool.frames[f];
    const name = ['(root)', '(program)', '(idle)', '(garbage collector)'][-f - 1];
    return { functionName: name, scriptId: '0', url: '', lineNumber: -1, columnNumber: -1 };
  };

  // Sampling weights: heavy-tailed, leaves more likely (self time sits mostly at the bottom).
  const weights = new Float64Array(nodeCount + 1);
  let cumulative = 0;
  const cumulativeWeights = new Float64Array(nodeCount + 1);
  for (let id = GC_ID + 1; id <= nodeCount; id++) {
    const w = (tree.children[id].length === 0 ? 1 : 0.25) * (1 / (1 - rng() * 0.999)) ** 1.3;
    weights[id] = w;
    cumulative += w;
    cumulativeWeights[id] = cumulative;
  }
  const busyNode = () => {
    const x = rng() * cumulative;
    let lo = GC_ID + 1;
    let hi = nodeCount;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cumulativeWeights[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };

  // The nodes' JSON without hitCount and positionTicks, to know the samples' share of the budget.
  let nodeBytes = 0;
  for (let id = 1; id <= nodeCount; id++) nodeBytes += JSON.stringify({ id, callFrame: frameOf(id), children: tree.children[id] }).length + 1;
  const extraPerNode = 65; // ,"hitCount":N and positionTicks on the nodes that were hit, on average
  const sampleBudget = targetBytes - nodeBytes - nodeCount * extraPerNode - 200;
  if (sampleBudget <= 0) throw new Error(`a ${targetBytes}-byte profile is too small for ${nodeCount} nodes`);

  let samples = new Int32Array(1 << 22);
  let deltas = new Int32Array(1 << 22);
  let count = 0;
  let sampleBytes = 0;
  const push = (id) => {
    if (count === samples.length) {
      const grow = (a) => {
        const b = new Int32Array(a.length * 2);
        b.set(a);
        return b;
      };
      samples = grow(samples);
      deltas = grow(deltas);
    }
    // ~1 ms with jitter; V8 sometimes writes a small negative delta, and a busy host leaves gaps.
    const r = rng();
    const delta = r < 0.001 ? -1 - Math.floor(rng() * 40) : r < 0.0015 ? 5000 + Math.floor(rng() * 45_000) : 1000 + Math.floor(rng() * rng() * 400) - 60;
    samples[count] = id;
    deltas[count] = delta;
    count += 1;
    sampleBytes += digits(id) + digits(delta) + 2;
  };
  const geometric = (mean) => 1 + Math.floor(Math.log(1 - rng()) / Math.log(1 - 1 / mean));
  while (sampleBytes < sampleBudget) {
    // Idle between requests, then a burst of work; one burst in a hundred runs 50-400 ms.
    const idle = geometric(6);
    for (let i = 0; i < idle; i++) push(rng() < 0.03 ? PROGRAM_ID : IDLE_ID);
    const burst = rng() < 0.01 ? 50 + Math.floor(rng() * 350) : geometric(10);
    let left = burst;
    while (left > 0) {
      if (rng() < 0.03) {
        push(GC_ID);
        left -= 1;
        continue;
      }
      const id = busyNode();
      const run = Math.min(left, geometric(2));
      for (let i = 0; i < run; i++) push(id);
      left -= run;
    }
  }

  const hits = new Int32Array(nodeCount + 1);
  for (let i = 0; i < count; i++) hits[samples[i]] += 1;
  let duration = 0;
  for (let i = 0; i < count; i++) duration += deltas[i];
  const startTime = 281_474_976_710 + Math.floor(rng() * 1e6);

  const out = bufferedWriter(path);
  out.write('{"nodes":[');
  let maxDepth = 0;
  let withTicks = 0;
  for (let id = 1; id <= nodeCount; id++) {
    const callFrame = frameOf(id);
    const node = { id, callFrame, hitCount: hits[id], children: tree.children[id] };
    if (tree.children[id].length === 0) delete node.children;
    if (hits[id] > 0 && tree.fn[id] >= 0 && callFrame.url !== '') {
      // Split the hits over 1-4 lines of the function's body (1-based lines).
      const lines = 1 + Math.floor(rng() * Math.min(4, hits[id]));
      const ticks = [];
      let left = hits[id];
      for (let j = 0; j < lines; j++) {
        const share = j === lines - 1 ? left : Math.max(1, Math.floor(left * rng()));
        if (share <= 0) break;
        ticks.push({ line: callFrame.lineNumber + 2 + j * (1 + Math.floor(rng() * 6)), ticks: share });
        left -= share;
      }
      node.positionTicks = ticks;
      withTicks += 1;
    }
    if (tree.depth[id] > maxDepth) maxDepth = tree.depth[id];
    out.write(`${id > 1 ? ',' : ''}${JSON.stringify(node)}`);
  }
  out.write(`],"startTime":${startTime},"endTime":${startTime + duration + 1000},"samples":[`);
  const CHUNK = 65_536;
  for (let i = 0; i < count; i += CHUNK) out.write(`${i > 0 ? ',' : ''}${samples.subarray(i, Math.min(count, i + CHUNK)).join(',')}`);
  out.write('],"timeDeltas":[');
  for (let i = 0; i < count; i += CHUNK) out.write(`${i > 0 ? ',' : ''}${deltas.subarray(i, Math.min(count, i + CHUNK)).join(',')}`);
  out.write(']}');
  const bytes = out.close();

  return {
    bytes,
    nodes: nodeCount,
    samples: count,
    functions: pool.frames.length,
    maxDepth,
    nodesWithPositionTicks: withTicks,
    idleShare: hits[IDLE_ID] / count,
    durationS: duration / 1e6,
  };
}
