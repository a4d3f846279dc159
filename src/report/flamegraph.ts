import { isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CpuProfile, ProfileNode } from '../profile/cpuprofile.js';

/**
 * The flame graph `bottleneck_analyze` writes next to a `.cpuprofile`: one self-contained HTML
 * file (inline CSS and JS, no URL of any kind) that opens from `file://` anywhere.
 *
 * The heavy part happens here, not in the browser: samples are folded into a merged call tree
 * in O(samples + nodes) with typed arrays, pruned to what can be seen, and embedded as compact
 * JSON. The inline script only lays out the few thousand frames that are left.
 */

export interface FlameGraphOptions {
  title: string;
  /** shown under the title, e.g. "checkout-service, 10 s of load, 12,345 samples" */
  subtitle?: string;
  /** absolute folder of the profiled app: frames whose url is inside it (and not in node_modules) are "user code" */
  appRoot?: string;
  /** frames narrower than this share of the total are merged away (default 0.0005) */
  minShare?: number;
}

/**
 * user: the app itself (inside appRoot; any file outside node_modules when no appRoot is given);
 * dependency: node_modules/<pkg>; node: `node:` urls and native frames without a url;
 * v8: V8's pseudo frames such as `(garbage collector)`; other: files outside appRoot, eval, wasm;
 * pruned: the "…" stub that stands for callees too narrow to draw.
 */
export type FrameKind = 'user' | 'dependency' | 'node' | 'v8' | 'other' | 'pruned';

export interface FlameFrame {
  /** functionName, or "(anonymous)". */
  name: string;
  /** For display: relative to appRoot for user code, from `node_modules/` for dependencies, '' for native frames. */
  file: string;
  /** 1-based (cpuprofile lines are 0-based); 0 when unknown. */
  line: number;
  kind: FrameKind;
}

export interface FlameNode {
  /** Index into FlameTree.frames. */
  frame: number;
  totalUs: number;
  selfUs: number;
  /** Heaviest first. */
  children: FlameNode[];
}

export interface FlameTree {
  frames: FlameFrame[];
  /** The synthetic "(root)": its total is all CPU time shown, idle and program excluded. */
  root: FlameNode;
  totalUs: number;
  idleUs: number;
  programUs: number;
  /** Time a damaged profile gives to unknown node ids or to nodes on a cycle; left out like idle. */
  unknownUs: number;
  /** Samples counted in totalUs. */
  samples: number;
  /** Merged call paths (before pruning), without the root. */
  paths: number;
  /** Call paths folded into "…" stubs. */
  prunedPaths: number;
  /** Call paths with less total time than this were pruned. */
  thresholdUs: number;
}

export interface FlameTreeOptions {
  appRoot?: string;
  minShare?: number;
  /** Upper bound on kept call paths (stubs not counted); the threshold rises to meet it. */
  maxNodes?: number;
}

const DEFAULT_MIN_SHARE = 0.0005;
/** A few thousand frames is more than a screen shows at once and keeps the page light. */
const DEFAULT_MAX_NODES = 10_000;
/** The embedded data gets at most this many bytes; the page around it is ~8 KB. */
const DATA_BUDGET_BYTES = 1_900_000;
const MAX_NAME_CHARS = 160;
const MAX_FILE_CHARS = 200;
const PRUNED_NAME = '…';

export function buildFlameTree(profile: CpuProfile, options: FlameTreeOptions = {}): FlameTree {
  return prune(merge(profile, options.appRoot), options.minShare ?? DEFAULT_MIN_SHARE, options.maxNodes ?? DEFAULT_MAX_NODES);
}

export function renderFlameGraph(profile: CpuProfile, options: FlameGraphOptions): string {
  const merged = merge(profile, options.appRoot);
  const minShare = options.minShare ?? DEFAULT_MIN_SHARE;
  // Pruning by share bounds the frames per depth, not the depth: a deep recursion, or a profile
  // with thousands of long distinct names, could still be large. Halve the node budget until the
  // data fits; a round is linear in the merged tree, and the profile itself is read only once.
  let maxNodes = DEFAULT_MAX_NODES;
  for (;;) {
    const tree = prune(merged, minShare, maxNodes);
    const data = serialize(tree);
    if (Buffer.byteLength(data) <= DATA_BUDGET_BYTES || maxNodes <= 100) return page(tree, data, options, minShare);
    maxNodes = Math.floor(maxNodes / 2);
  }
}

// ---------------------------------------------------------------------------------------------
// Merge: profile nodes -> one node per distinct call path, in typed arrays.

interface Merged {
  frames: FlameFrame[];
  /** Per merged node, parents before children (creation order); node 0 is the root. */
  frame: Int32Array;
  parent: Int32Array;
  self: Float64Array;
  total: Float64Array;
  count: number;
  idleUs: number;
  programUs: number;
  unknownUs: number;
  samples: number;
}

const ROOT_FRAME: FlameFrame = { name: '(root)', file: '', line: 0, kind: 'v8' };
const NO_CHILDREN: readonly number[] = [];
/** Frame ids of profile nodes that are not frames of the tree (merged ids are never negative). */
const PROFILE_ROOT = -1;
const IDLE = -2;
const PROGRAM = -3;
const UNREACHED = -4;

function merge(profile: CpuProfile, appRoot: string | undefined): Merged {
  const { nodes, samples, timeDeltas } = profile;
  const n = nodes.length;
  const indexOf = idIndex(nodes);

  // Self time per profile node. The loop touches only typed arrays: a 100 MB profile has ~1M
  // samples, and an object per sample would dominate the cost.
  const selfUs = new Float64Array(n);
  const hits = new Float64Array(n);
  let unknownUs = 0;
  for (let s = 0; s < samples.length; s++) {
    // A sample weighs the time since the previous one; V8 occasionally writes a negative delta
    // when sampler timestamps cross, which no frame can have spent.
    const delta = timeDeltas[s]!;
    const weight = delta > 0 ? delta : 0;
    const i = indexOf(samples[s]!);
    if (i < 0) unknownUs += weight;
    else {
      selfUs[i]! += weight;
      hits[i]! += 1;
    }
  }

  // Pass 1, in array order: everything that reads the node objects and their strings. V8 writes
  // nodes in pre-order, but a tree walk over a million objects in any other order is bound by
  // cache misses; after this pass only typed arrays are touched.
  const frames: FlameFrame[] = [ROOT_FRAME];
  // Integer tables instead of Maps keyed by strings or large numbers, which allocate per lookup.
  const names = new Map<string, number>();
  const urls = new Map<string, number>();
  const frameIndex = new TripleIndex(n);
  const classify = classifier(appRoot);
  const frameOf = new Int32Array(n);
  const parentOf = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const node = nodes[i]!;
    const call = node.callFrame;
    if (call.url === '' && call.functionName === '(idle)') frameOf[i] = IDLE;
    else if (call.url === '' && call.functionName === '(program)') frameOf[i] = PROGRAM;
    else if (call.url === '' && call.functionName === '(root)') frameOf[i] = PROFILE_ROOT;
    else {
      const f = 1 + frameIndex.intern(intern(names, call.functionName), intern(urls, call.url), call.lineNumber);
      if (f === frames.length) frames.push(classify(call.functionName, call.url, call.lineNumber));
      frameOf[i] = f;
    }
    for (const id of node.children ?? NO_CHILDREN) {
      const c = indexOf(id);
      // First parent wins: a damaged profile that lists a node twice still yields a tree.
      if (c >= 0 && c !== i && parentOf[c] === -1) parentOf[c] = i;
    }
  }
  const kids = childLists(parentOf);

  // Pass 2: depth-first from every parentless node, so a parent's merged node exists before its
  // children look for theirs among its children.
  const childIndex = new TripleIndex(n);
  const frame = new Int32Array(n + 1);
  const parent = new Int32Array(n + 1);
  parent[0] = -1;
  let count = 1;
  const mergedOf = new Int32Array(n).fill(UNREACHED);
  const stack = new Int32Array(n);
  for (let start = 0; start < n; start++) {
    if (parentOf[start] !== -1) continue;
    let top = 0;
    stack[top++] = start;
    mergedOf[start] = frameOf[start] === PROFILE_ROOT ? 0 : place(start, 0);
    while (top > 0) {
      const i = stack[--top]!;
      const m = mergedOf[i]!;
      for (let k = kids.offsets[i]!; k < kids.offsets[i + 1]!; k++) {
        const c = kids.ids[k]!;
        // Whatever hangs under (idle) or (program) is left out with it.
        mergedOf[c] = m < 0 ? m : place(c, m);
        stack[top++] = c;
      }
    }
  }

  function place(i: number, parentMerged: number): number {
    const f = frameOf[i]!;
    if (f === IDLE || f === PROGRAM) return f;
    // A "(root)" below the root (never written by V8) is kept as an ordinary frame.
    const key = f === PROFILE_ROOT ? 0 : f;
    const m = 1 + childIndex.intern(parentMerged, key, 0);
    if (m === count) {
      count++;
      frame[m] = key;
      parent[m] = parentMerged;
    }
    return m;
  }

  // Pass 3, in array order again: self time onto the merged nodes.
  const self = new Float64Array(n + 1);
  let idleUs = 0;
  let programUs = 0;
  let samplesKept = 0;
  for (let i = 0; i < n; i++) {
    const m = mergedOf[i]!;
    if (m >= 0) {
      self[m]! += selfUs[i]!;
      samplesKept += hits[i]!;
    } else if (m === IDLE) idleUs += selfUs[i]!;
    else if (m === PROGRAM) programUs += selfUs[i]!;
    // Nodes on a cycle of a damaged profile cannot be placed; their time is reported, not lost.
    else unknownUs += selfUs[i]!;
  }

  // Parents were created before their children, so one backward pass sums totals bottom-up.
  const total = self.slice(0, count);
  for (let m = count - 1; m > 0; m--) total[parent[m]!]! += total[m]!;
  return { frames, frame, parent, self, total, count, idleUs, programUs, unknownUs, samples: samplesKept };
}

/** Children of every node as one offsets array over one array of indices (no array per node). */
function childLists(parentOf: Int32Array): { offsets: Int32Array; ids: Int32Array } {
  const n = parentOf.length;
  const offsets = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) if (parentOf[i]! >= 0) offsets[parentOf[i]! + 1]! += 1;
  for (let i = 0; i < n; i++) offsets[i + 1]! += offsets[i]!;
  const fill = offsets.slice(0, n);
  const ids = new Int32Array(offsets[n]!);
  for (let i = 0; i < n; i++) if (parentOf[i]! >= 0) ids[fill[parentOf[i]!]!++] = i;
  return { offsets, ids };
}

function intern(ids: Map<string, number>, key: string): number {
  let id = ids.get(key);
  if (id === undefined) {
    id = ids.size;
    ids.set(key, id);
  }
  return id;
}

/**
 * Integer triples -> dense ids 0, 1, 2, … in first-seen order: open addressing with linear
 * probing over typed arrays, so a lookup allocates nothing. Sized once for at most `capacity`
 * distinct keys (every profile node adds at most one frame and one merged node).
 */
class TripleIndex {
  private readonly slots: Int32Array;
  private readonly mask: number;
  private readonly a: Int32Array;
  private readonly b: Int32Array;
  private readonly c: Int32Array;
  private size = 0;

  constructor(capacity: number) {
    let slots = 16;
    while (slots < 2 * capacity) slots *= 2;
    this.slots = new Int32Array(slots); // id + 1; 0 is empty
    this.mask = slots - 1;
    this.a = new Int32Array(capacity);
    this.b = new Int32Array(capacity);
    this.c = new Int32Array(capacity);
  }

  intern(a: number, b: number, c: number): number {
    // Combine, then murmur3's finalizer: linear probing needs the low bits well mixed.
    let h = Math.imul(Math.imul(a, 0x9e3779b1) ^ b, 0x85ebca6b) ^ c;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    let slot = (h ^ (h >>> 16)) & this.mask;
    for (;;) {
      const entry = this.slots[slot]!;
      if (entry === 0) break;
      const id = entry - 1;
      if (this.a[id] === a && this.b[id] === b && this.c[id] === c) return id;
      slot = (slot + 1) & this.mask;
    }
    const id = this.size++;
    this.a[id] = a;
    this.b[id] = b;
    this.c[id] = c;
    this.slots[slot] = id + 1;
    return id;
  }
}

/** Node id -> array index; a flat table when ids are small integers (V8 numbers them 1..n). */
function idIndex(nodes: readonly ProfileNode[]): (id: number) => number {
  let maxId = -1;
  let dense = true;
  for (const node of nodes) {
    if (!Number.isInteger(node.id) || node.id < 0) dense = false;
    else if (node.id > maxId) maxId = node.id;
  }
  if (dense && maxId < 4 * nodes.length + 1024) {
    const table = new Int32Array(maxId + 1).fill(-1);
    nodes.forEach((node, i) => {
      table[node.id] = i;
    });
    return (id) => (id >= 0 && id <= maxId ? (table[id] ?? -1) : -1);
  }
  const map = new Map<number, number>();
  nodes.forEach((node, i) => map.set(node.id, i));
  return (id) => map.get(id) ?? -1;
}

function classifier(appRoot: string | undefined): (functionName: string, url: string, lineNumber: number) => FlameFrame {
  const root = appRoot ? resolve(appRoot) : undefined;
  const files = new Map<string, { file: string; kind: FrameKind }>();
  const locate = (url: string): { file: string; kind: FrameKind } => {
    if (url === '' || url.startsWith('node:') || url.startsWith('internal/')) return { file: url, kind: 'node' };
    let path = url;
    if (url.startsWith('file://')) {
      try {
        path = fileURLToPath(url);
      } catch {
        return { file: shortenFile(url), kind: 'other' };
      }
    }
    const normalized = path.replace(/\\/g, '/');
    const modules = normalized.lastIndexOf('node_modules/');
    if (modules >= 0) return { file: shortenFile(normalized.slice(modules)), kind: 'dependency' };
    if (!isAbsolute(path)) return { file: shortenFile(url), kind: 'other' };
    if (root === undefined) return { file: shortenFile(path), kind: 'user' };
    const inside = relative(root, path);
    if (inside !== '' && !inside.startsWith('..') && !isAbsolute(inside)) return { file: shortenFile(inside.replace(/\\/g, '/')), kind: 'user' };
    return { file: shortenFile(path), kind: 'other' };
  };
  return (functionName, url, lineNumber) => {
    let where = files.get(url);
    if (where === undefined) {
      where = locate(url);
      files.set(url, where);
    }
    const special = url === '' && functionName.startsWith('(') && functionName.endsWith(')');
    const name = functionName === '' ? '(anonymous)' : functionName.length > MAX_NAME_CHARS ? `${functionName.slice(0, MAX_NAME_CHARS - 1)}…` : functionName;
    return { name, file: where.file, line: url !== '' && lineNumber >= 0 ? lineNumber + 1 : 0, kind: special ? 'v8' : where.kind };
  };
}

/** Keeps the end of a long path: the file name and its nearest folders are what identify it. */
function shortenFile(file: string): string {
  return file.length > MAX_FILE_CHARS ? `…${file.slice(file.length - MAX_FILE_CHARS + 1)}` : file;
}

// ---------------------------------------------------------------------------------------------
// Prune: keep call paths with at least minShare of the total.

/**
 * Pruned callees of one parent are summed into a single "…" child rather than into the parent's
 * self time: self time stays what the function itself spent (the number people act on), and the
 * frame still shows that its callees used that time.
 */
function prune(merged: Merged, minShare: number, maxNodes: number): FlameTree {
  const { count, total } = merged;
  const totalUs = total[0]!;
  // A child never has more time than its parent, so every kept set below is a connected subtree.
  let threshold = Math.max(minShare * totalUs, Number.MIN_VALUE);
  let kept = 0;
  for (let m = 1; m < count; m++) if (total[m]! >= threshold) kept++;
  if (kept > maxNodes) {
    const candidates = new Float64Array(kept);
    let c = 0;
    for (let m = 1; m < count; m++) if (total[m]! >= threshold) candidates[c++] = total[m]!;
    candidates.sort().reverse();
    // Strictly above the first value that does not fit: ties are all dropped, never split.
    threshold = Math.max(threshold, nextUp(candidates[maxNodes]!));
  }

  const { offsets, ids: childIds } = childLists(merged.parent.subarray(0, count));

  const frames: FlameFrame[] = [...merged.frames, { name: PRUNED_NAME, file: '', line: 0, kind: 'pruned' }];
  const prunedFrame = frames.length - 1;
  const toNode = (m: number): FlameNode => ({ frame: merged.frame[m]!, totalUs: total[m]!, selfUs: merged.self[m]!, children: [] });
  const root: FlameNode = { frame: 0, totalUs: totalUs, selfUs: merged.self[0]!, children: [] };
  let prunedPaths = 0;
  const work: Array<[number, FlameNode]> = [[0, root]];
  while (work.length > 0) {
    const [m, node] = work.pop()!;
    let prunedUs = 0;
    const keptChildren: number[] = [];
    for (let k = offsets[m]!; k < offsets[m + 1]!; k++) {
      const child = childIds[k]!;
      if (total[child]! >= threshold) keptChildren.push(child);
      else {
        prunedUs += total[child]!;
        prunedPaths += subtreeSize(child);
      }
    }
    keptChildren.sort((a, b) => total[b]! - total[a]!);
    for (const child of keptChildren) {
      const childNode = toNode(child);
      node.children.push(childNode);
      work.push([child, childNode]);
    }
    if (prunedUs > 0) node.children.push({ frame: prunedFrame, totalUs: prunedUs, selfUs: prunedUs, children: [] });
  }

  function subtreeSize(m: number): number {
    let size = 0;
    const pending = [m];
    while (pending.length > 0) {
      const next = pending.pop()!;
      size++;
      for (let k = offsets[next]!; k < offsets[next + 1]!; k++) pending.push(childIds[k]!);
    }
    return size;
  }

  return {
    frames,
    root,
    totalUs,
    idleUs: merged.idleUs,
    programUs: merged.programUs,
    unknownUs: merged.unknownUs,
    samples: merged.samples,
    paths: count - 1,
    prunedPaths,
    thresholdUs: threshold,
  };
}

/** The smallest double above x (x >= 0): "strictly more than x" as a `>=` threshold. */
function nextUp(x: number): number {
  return x === 0 ? Number.MIN_VALUE : x + Math.max(Math.abs(x) * Number.EPSILON, Number.MIN_VALUE);
}

// ---------------------------------------------------------------------------------------------
// Serialize: compact JSON the inline script reads.

/**
 * `{ totalUs, files: [path], frames: [[name, fileIndex, line, kind]], nodes: [frame, totalUs,
 * selfUs, childCount, ...] }`, nodes flattened in pre-order. Flat numbers are a third of the size
 * of one object per node, and neither side has to recurse on a deep stack. Only frames and files
 * that survived pruning are written.
 */
export interface FlameData {
  totalUs: number;
  files: string[];
  frames: Array<[string, number, number, FrameKind]>;
  nodes: number[];
}

function serialize(tree: FlameTree): string {
  const files: string[] = [];
  const fileIds = new Map<string, number>();
  const frames: FlameData['frames'] = [];
  const frameIds = new Map<number, number>();
  const nodes: number[] = [];
  const pending: FlameNode[] = [tree.root];
  while (pending.length > 0) {
    const node = pending.pop()!;
    let f = frameIds.get(node.frame);
    if (f === undefined) {
      const frame = tree.frames[node.frame]!;
      let file = fileIds.get(frame.file);
      if (file === undefined) {
        file = files.length;
        files.push(frame.file);
        fileIds.set(frame.file, file);
      }
      f = frames.length;
      frames.push([frame.name, file, frame.line, frame.kind]);
      frameIds.set(node.frame, f);
    }
    nodes.push(f, Math.round(node.totalUs), Math.round(node.selfUs), node.children.length);
    for (let k = node.children.length - 1; k >= 0; k--) pending.push(node.children[k]!);
  }
  const data: FlameData = { totalUs: Math.round(tree.totalUs), files, frames, nodes };
  return scriptSafeJson(data);
}

/**
 * JSON inside `<script type="application/json">` ends at the first `</script` and is disturbed by
 * `<!--`; escaping every `<` as `\u003c` rules out both while JSON.parse reads the same value.
 * U+2028/2029 are escaped too, so the text also stays valid if it is ever pasted into JS source.
 */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

// ---------------------------------------------------------------------------------------------
// The page.

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function ms(us: number): string {
  const value = us / 1000;
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${group(value.toFixed(digits))} ms`;
}

function percent(part: number, whole: number): string {
  if (whole <= 0 || part <= 0) return '0%';
  const value = (100 * part) / whole;
  return value < 0.1 ? '<0.1%' : `${value.toFixed(1)}%`;
}

function group(number: string): string {
  const [whole = '', fraction] = number.split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return fraction === undefined ? grouped : `${grouped}.${fraction}`;
}

function pruneNote(tree: FlameTree, minShare: number): string {
  const threshold = tree.thresholdUs < 1000 ? `${group(tree.thresholdUs.toFixed(1))} µs` : ms(tree.thresholdUs);
  const raised = tree.thresholdUs > minShare * tree.totalUs * (1 + 1e-9);
  const share = `${((100 * tree.thresholdUs) / tree.totalUs).toPrecision(2)}% of the time shown`;
  return (
    `Pruned: ${group(String(tree.prunedPaths))} call paths under ${threshold} each (${share}` +
    `${raised ? `, raised from ${(minShare * 100).toPrecision(2)}% to keep the page small` : ''}) are summed into “…” frames; self times are exact.`
  );
}

const LEGEND: ReadonlyArray<[FrameKind, string]> = [
  ['user', 'your code'],
  ['dependency', 'node_modules'],
  ['node', 'Node.js internals / native'],
  ['v8', 'V8 (GC, …)'],
  ['other', 'other files'],
  ['pruned', '… pruned callees'],
];

function page(tree: FlameTree, data: string, options: FlameGraphOptions, minShare: number): string {
  const sampled = tree.totalUs + tree.idleUs + tree.programUs + tree.unknownUs;
  const left = [`(idle) ${ms(tree.idleUs)} (${percent(tree.idleUs, sampled)})`, `(program) ${ms(tree.programUs)} (${percent(tree.programUs, sampled)})`];
  if (tree.unknownUs > 0) left.push(`samples of unknown nodes ${ms(tree.unknownUs)} (${percent(tree.unknownUs, sampled)})`);
  const facts = [
    `Shown: ${ms(tree.totalUs)} of CPU time in ${group(String(tree.samples))} samples, ${group(String(tree.paths))} call paths.`,
    `Left out: ${left.join(', ')} of ${ms(sampled)} sampled.`,
    tree.prunedPaths > 0 ? pruneNote(tree, minShare) : 'Nothing pruned.',
  ];
  const legend = LEGEND.map(([kind, label]) => `<span><i class="k-${kind}"></i>${escapeHtml(label)}</span>`).join('');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(options.title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${escapeHtml(options.title)}</h1>
${options.subtitle ? `<p class="sub">${escapeHtml(options.subtitle)}</p>\n` : ''}<p>Icicle graph: the root is at the top and callees hang below their callers. Width is share of CPU time; siblings are ordered heaviest first. Click a frame to zoom into it; hover for details.</p>
<p>${facts.map(escapeHtml).join('<br>')}</p>
<div class="bar"><button type="button" id="reset">Reset zoom</button><input id="search" type="search" placeholder="Search function or file" aria-label="Search function or file"><span id="status"></span></div>
<div class="legend">${legend}</div>
</header>
<main id="chart"><svg id="flame" role="img" aria-label="flame graph"></svg></main>
${tree.totalUs > 0 ? '' : '<p>No CPU time was sampled outside (idle) and (program).</p>\n'}<script type="application/json" id="flame-data">${data}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

const CSS = `
body{margin:0;font:14px system-ui,sans-serif;color:#222;background:#fff}
header{padding:12px 16px 4px}
h1{font-size:18px;margin:0 0 4px}
p{margin:4px 0}
.sub{color:#555}
.bar{display:flex;gap:8px;align-items:center;margin:8px 0}
#search{width:260px;padding:3px 6px}
#status{color:#555}
.legend{display:flex;flex-wrap:wrap;gap:14px;font-size:12px;margin:6px 0}
.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-2px;border-radius:2px}
#chart{padding:0 16px 16px}
#flame{display:block;width:100%;font:11px ui-monospace,Menlo,Consolas,monospace}
#flame g{cursor:pointer}
#flame rect{stroke:#fff;stroke-width:.5}
#flame g:hover rect{stroke:#000;stroke-width:1}
#flame text{pointer-events:none;fill:#111}
#flame .ancestor{opacity:.55}
#flame .match rect{fill:#e3359b}
.k-user{background:#f28e2b}.k-dependency{background:#5b9bd5}.k-node{background:#8cc084}
.k-v8{background:#b294d6}.k-other{background:#d4c45a}.k-pruned{background:#c8c8c8}
`;

/*
 * Plain ES5-style script without template literals, so it embeds in this TypeScript template
 * as-is. It must not contain "src=" or a URL: the page is checked for both.
 */
const SCRIPT = `
(function () {
  'use strict';
  var ROW = 17, MIN_PX = 0.5, CHAR_PX = 6.7;
  var HUE = { user: [28, 88, 60], dependency: [210, 60, 62], node: [110, 35, 62], v8: [270, 45, 70], other: [52, 55, 58], pruned: [0, 0, 78] };
  var data = JSON.parse(document.getElementById('flame-data').textContent);
  var svg = document.getElementById('flame');
  var NS = svg.namespaceURI;
  var status = document.getElementById('status');
  var search = document.getElementById('search');

  var frames = data.frames.map(function (f) {
    return { name: f[0], file: data.files[f[1]], line: f[2], kind: f[3] };
  });

  // Pre-order [frame, total, self, childCount] back into nodes with parent links.
  var nodes = [], open = [];
  for (var i = 0; i < data.nodes.length; i += 4) {
    while (open.length && open[open.length - 1].left === 0) open.pop();
    var parent = open.length ? open[open.length - 1] : null;
    var node = { frame: frames[data.nodes[i]], total: data.nodes[i + 1], self: data.nodes[i + 2], children: [], parent: parent && parent.node, depth: parent ? parent.node.depth + 1 : 0, index: nodes.length };
    if (parent) { parent.node.children.push(node); parent.left--; }
    nodes.push(node);
    if (data.nodes[i + 3] > 0) open.push({ node: node, left: data.nodes[i + 3] });
  }
  var root = nodes[0], zoomed = root, term = '';

  function fmt(us) { var v = us / 1000; return (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)) + ' ms'; }
  function pct(us) { return data.totalUs > 0 ? (100 * us / data.totalUs).toFixed(1) + '%' : '0%'; }
  function matches(node) {
    return term !== '' && (node.frame.name.toLowerCase().indexOf(term) >= 0 || node.frame.file.toLowerCase().indexOf(term) >= 0);
  }
  function colour(frame) {
    var h = HUE[frame.kind] || HUE.other, jitter = 0;
    for (var k = 0; k < frame.name.length; k++) jitter = (jitter * 31 + frame.name.charCodeAt(k)) % 997;
    return 'hsl(' + h[0] + ',' + h[1] + '%,' + (h[2] - 6 + jitter % 12) + '%)';
  }
  function tooltip(node) {
    var f = node.frame, where = f.file ? f.file + (f.line ? ':' + f.line : '') : '(native)';
    if (f.kind === 'pruned') where = 'callees too small to draw, summed';
    return f.name + '\\n' + where + '\\ntotal ' + fmt(node.total) + ' (' + pct(node.total) + ')\\nself ' + fmt(node.self) + ' (' + pct(node.self) + ')';
  }
  function el(name, attrs) {
    var e = document.createElementNS(NS, name);
    for (var a in attrs) e.setAttribute(a, attrs[a]);
    return e;
  }
  function box(node, x, w, y, extra) {
    var g = el('g', { 'data-i': node.index, 'class': extra + (matches(node) ? ' match' : '') });
    var title = el('title', {});
    title.textContent = tooltip(node);
    g.appendChild(title);
    g.appendChild(el('rect', { x: x.toFixed(2), y: y * ROW, width: Math.max(w, 0.5).toFixed(2), height: ROW - 1, fill: colour(node.frame) }));
    var fit = Math.floor((w - 6) / CHAR_PX);
    if (fit >= 3) {
      var text = el('text', { x: (x + 3).toFixed(2), y: y * ROW + ROW - 5 });
      text.textContent = node.frame.name.length > fit ? node.frame.name.slice(0, fit - 1) + '\\u2026' : node.frame.name;
      g.appendChild(text);
    }
    return g;
  }

  function render() {
    var width = Math.max(320, (svg.parentNode.clientWidth || 1232) - 32);
    var scale = zoomed.total > 0 ? width / zoomed.total : 0;
    var out = document.createDocumentFragment(), drawn = 0, rows = 0, chain = [];
    // The zoomed frame's callers stay visible above it, full width and faded; click one to zoom out.
    for (var a = zoomed.parent; a; a = a.parent) chain.unshift(a);
    chain.forEach(function (n, row) { out.appendChild(box(n, 0, width, row, 'ancestor')); drawn++; });
    var todo = [{ node: zoomed, x: 0 }];
    while (todo.length) {
      var item = todo.pop(), w = item.node.total * scale;
      if (w < MIN_PX) continue;
      var row = item.node.depth;
      out.appendChild(box(item.node, item.x, w, row, 'k-' + item.node.frame.kind));
      drawn++;
      rows = Math.max(rows, row + 1);
      for (var c = 0, x = item.x; c < item.node.children.length; c++) {
        todo.push({ node: item.node.children[c], x: x });
        x += item.node.children[c].total * scale;
      }
    }
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    svg.setAttribute('width', width);
    svg.setAttribute('height', Math.max(rows, chain.length) * ROW);
    svg.setAttribute('viewBox', '0 0 ' + width + ' ' + Math.max(rows, chain.length) * ROW);
    svg.appendChild(out);
    document.documentElement.dataset.rendered = String(drawn);
    showStatus();
  }

  function showStatus() {
    var text = zoomed === root ? '' : 'zoomed into ' + zoomed.frame.name + ' (' + pct(zoomed.total) + ')';
    if (term !== '') {
      // Time of matching frames, not counting a match nested inside another match twice.
      var count = 0, us = 0, inside = [];
      nodes.forEach(function (n) {
        var m = matches(n), above = n.parent ? inside[n.parent.index] : false;
        inside[n.index] = m || above;
        if (m) { count++; if (!above) us += n.total; }
      });
      text += (text ? '; ' : '') + count + ' frames match, ' + fmt(us) + ' (' + pct(us) + ')';
    }
    status.textContent = text;
  }

  svg.addEventListener('click', function (event) {
    var g = event.target.closest('g[data-i]');
    if (!g) return;
    zoomed = nodes[Number(g.getAttribute('data-i'))];
    render();
  });
  document.getElementById('reset').addEventListener('click', function () { zoomed = root; render(); });
  search.addEventListener('input', function () { term = search.value.trim().toLowerCase(); render(); });
  document.addEventListener('keydown', function (event) { if (event.key === 'Escape') { zoomed = root; render(); } });
  window.addEventListener('resize', render);
  render();
})();
`;
