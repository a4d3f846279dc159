import { fileURLToPath } from 'node:url';
import type { CallFrame, CpuProfile, ProfileNode } from '../profile/cpuprofile.js';

export type FrameKind = 'user' | 'dependency' | 'node' | 'v8' | 'profiler';

export interface FunctionStat {
  name: string;
  /** Absolute path for files, the url otherwise (node:internal/..., empty for natives). */
  file: string;
  /** 1-based; 0 when unknown. */
  line: number;
  kind: FrameKind;
  /** The npm package, for dependency frames. */
  package?: string;
  selfUs: number;
  /** Time with this function on the stack, counted once per sample however deep the recursion. */
  totalUs: number;
  /**
   * For user functions: self time plus the time of the non-user code they call directly (natives,
   * dependencies, node internals) up to the next user function. A function that spends its time in
   * `Array.prototype.includes` or a SQLite call is hot, though its own self time is small.
   */
  ownUs: number;
  /** 1-based source lines by ticks (samples), hottest first. */
  hotLines: Array<{ line: number; ticks: number }>;
  /** The user functions that called this one most, by time, for frames outside user code. */
  callers: Array<{ name: string; file: string; line: number; us: number }>;
}

export interface BlockingEpisode {
  startMs: number;
  durationMs: number;
}

export interface ProfileAnalysis {
  totalUs: number;
  idleUs: number;
  gcUs: number;
  /** Time the thread was doing anything but waiting (total - idle). */
  activeUs: number;
  sampleIntervalUs: number;
  samples: number;
  functions: FunctionStat[];
  /** Self time by dependency package, and for node internals. */
  dependencies: Array<{ package: string; selfUs: number }>;
  nodeInternalUs: number;
  /** Uninterrupted runs of JavaScript of at least 10 ms: the event loop could not turn. */
  blocking: { episodes: number; totalMs: number; maxMs: number; longest: BlockingEpisode[]; functions: Array<{ name: string; file: string; line: number; ms: number }> };
  /** Time inside console.* and logging libraries (inclusive), with the user code that logged. */
  logging: { us: number; callers: Array<{ name: string; file: string; line: number; us: number }> };
}

const SPECIAL = new Set(['(root)', '(program)', '(idle)', '(garbage collector)']);
const LOGGING_PACKAGES = new Set(['pino', 'winston', 'bunyan', 'debug', 'morgan', 'log4js', 'loglevel', 'signale']);
const CONSOLE_METHODS = new Set(['log', 'info', 'warn', 'error', 'debug', 'trace', 'dir', 'table']);
const BLOCKING_MS = 10;

interface Key {
  id: number;
  frame: CallFrame;
  kind: FrameKind;
  file: string;
  package?: string;
}

/**
 * Self and total time per function, the hot lines of each, time per dependency, event-loop
 * blocking runs, and logging time, from a V8 .cpuprofile. Linear in samples plus nodes, so a
 * 100 MB profile takes about as long as parsing it.
 */
export function analyzeCpuProfile(profile: CpuProfile, options: { agentPath?: string } = {}): ProfileAnalysis {
  const byId = new Map<number, ProfileNode>();
  for (const node of profile.nodes) byId.set(node.id, node);
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  // One key per distinct function (name, url, line, column); nodes map onto keys.
  const keyIndex = new Map<string, Key>();
  const keyOfNode = new Map<number, Key>();
  for (const node of profile.nodes) {
    const f = node.callFrame;
    const id = `${f.functionName}\u0000${f.url}\u0000${f.lineNumber}\u0000${f.columnNumber}`;
    let key = keyIndex.get(id);
    if (!key) {
      const where = classify(f, options);
      key = { id: keyIndex.size, frame: f, ...where };
      keyIndex.set(id, key);
    }
    keyOfNode.set(node.id, key);
  }

  // Duration of sample i: until the next sample (the last one: until endTime), as DevTools does.
  const { samples, timeDeltas } = profile;
  const durations = new Float64Array(samples.length);
  let timestamp = profile.startTime;
  for (let i = 0; i < samples.length; i++) {
    timestamp += timeDeltas[i]!;
    const next = i + 1 < samples.length ? timestamp + timeDeltas[i + 1]! : profile.endTime;
    durations[i] = Math.max(0, next - timestamp);
  }

  // Per-sample work goes through dense arrays indexed by a node's position: a 100 MB profile has
  // millions of samples, and a Map lookup per sample was most of the analysis time.
  const slotOf = nodeSlots(profile);
  const selfBySlot = new Float64Array(profile.nodes.length);
  for (let i = 0; i < samples.length; i++) selfBySlot[slotOf(samples[i]!)]! += durations[i]!;
  const selfByNode = new Map<number, number>();
  profile.nodes.forEach((node, slot) => {
    if (selfBySlot[slot]! > 0) selfByNode.set(node.id, selfBySlot[slot]!);
  });

  // Inclusive time per node, children before parents.
  const order = postOrder(profile, byId);
  const inclusive = new Map<number, number>();
  for (const id of order) {
    let sum = selfByNode.get(id) ?? 0;
    for (const child of byId.get(id)!.children ?? []) sum += inclusive.get(child) ?? 0;
    inclusive.set(id, sum);
  }

  // A function's total counts only its outermost frames, so recursion is not counted twice.
  const keys = [...keyIndex.values()];
  const selfUs = new Float64Array(keys.length);
  const totalUs = new Float64Array(keys.length);
  const hotLines = keys.map(() => new Map<number, number>());
  const onStack = new Int32Array(keys.length);
  const callerTime = keys.map(() => new Map<number, number>());
  const userCallers = new Map<number, Set<number>>();
  const visit = (id: number, nearestUser: Key | undefined) => {
    const node = byId.get(id)!;
    const key = keyOfNode.get(id)!;
    selfUs[key.id]! += selfByNode.get(id) ?? 0;
    if (onStack[key.id] === 0) totalUs[key.id]! += inclusive.get(id) ?? 0;
    for (const tick of node.positionTicks ?? []) hotLines[key.id]!.set(tick.line, (hotLines[key.id]!.get(tick.line) ?? 0) + tick.ticks);
    if (key.kind === 'user' && nearestUser) {
      const callers = userCallers.get(key.id) ?? new Set<number>();
      callers.add(nearestUser.id);
      userCallers.set(key.id, callers);
    }
    if (key.kind !== 'user' && nearestUser && onStack[key.id] === 0) {
      const time = callerTime[key.id]!;
      time.set(nearestUser.id, (time.get(nearestUser.id) ?? 0) + (inclusive.get(id) ?? 0));
    }
    onStack[key.id]! += 1;
    const nextUser = key.kind === 'user' ? key : nearestUser;
    for (const child of node.children ?? []) stack.push([child, nextUser, false]);
    return key;
  };
  // Iterative DFS (deep stacks would overflow recursion); the `leave` entry undoes onStack.
  const root = profile.nodes[0]!.id;
  const stack: Array<[number, Key | undefined, boolean]> = [[root, undefined, false]];
  while (stack.length > 0) {
    const [id, nearestUser, leaving] = stack.pop()!;
    if (leaving) {
      onStack[keyOfNode.get(id)!.id]! -= 1;
      continue;
    }
    stack.push([id, nearestUser, true]);
    visit(id, nearestUser);
  }

  // A thin helper (say `all(sql) { return db.prepare(sql).all() }`) spends its time in what it
  // calls; that time belongs to the function that called the helper, the one a fix would change.
  // A user function is such a wrapper when it calls no other user code and keeps under 10% of its
  // time for itself. Ownership passes through wrappers and through perfsop's own frames.
  // ...and when several functions call it: a function with one caller (hashPasswordSync around
  // pbkdf2Sync) is the place to fix, even if all it does is call a library.
  const callsUser = new Uint8Array(keys.length);
  for (const node of profile.nodes) {
    const key = keyOfNode.get(node.id)!;
    if ((node.children ?? []).some((child) => keyOfNode.get(child)!.kind === 'user')) callsUser[key.id] = 1;
  }
  const isOwner = (key: Key) =>
    key.kind === 'user' && (callsUser[key.id] === 1 || selfUs[key.id]! > 0.1 * totalUs[key.id]! || (userCallers.get(key.id)?.size ?? 0) < 2);
  const owner = new Map<number, Key | undefined>();
  const walk: Array<[number, Key | undefined]> = [[root, undefined]];
  while (walk.length > 0) {
    const [id, inherited] = walk.pop()!;
    const key = keyOfNode.get(id)!;
    const mine = isOwner(key) ? key : inherited;
    owner.set(id, mine);
    for (const child of byId.get(id)!.children ?? []) walk.push([child, mine]);
  }
  // Node's own JavaScript (node:http writing a response, stream plumbing) is the cost of serving at
  // all, not of the handler that triggered it; natives it reaches (a crypto or SQLite binding) are.
  const ownUs = new Float64Array(keys.length);
  for (const [id, us] of selfByNode) {
    const key = keyOfNode.get(id)!;
    if (key.frame.url.startsWith('node:')) continue;
    const o = owner.get(id);
    if (o) ownUs[o.id]! += us;
  }

  const totalAll = durations.reduce((a, b) => a + b, 0);
  let idleUs = 0;
  let gcUs = 0;
  for (const key of keys) {
    if (key.frame.functionName === '(idle)') idleUs += selfUs[key.id]!;
    if (key.frame.functionName === '(garbage collector)') gcUs += selfUs[key.id]!;
  }

  const functions: FunctionStat[] = keys
    .filter((key) => !SPECIAL.has(key.frame.functionName) || key.frame.functionName === '(garbage collector)')
    .map((key) => ({
      name: key.frame.functionName || '(anonymous)',
      file: key.file,
      line: key.frame.lineNumber + 1,
      kind: key.kind,
      ...(key.package ? { package: key.package } : {}),
      selfUs: selfUs[key.id]!,
      totalUs: totalUs[key.id]!,
      ownUs: ownUs[key.id]!,
      hotLines: [...hotLines[key.id]!].sort((a, b) => b[1] - a[1]).map(([line, ticks]) => ({ line, ticks })),
      callers: [...callerTime[key.id]!]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 5)
        .map(([id, us]) => {
          const caller = keys[id]!;
          return { name: caller.frame.functionName || '(anonymous)', file: caller.file, line: caller.frame.lineNumber + 1, us };
        }),
    }))
    .filter((f) => f.totalUs > 0)
    .sort((a, b) => b.selfUs - a.selfUs);

  const dependencies = new Map<string, number>();
  let nodeInternalUs = 0;
  for (const f of functions) {
    if (f.kind === 'dependency' && f.package) dependencies.set(f.package, (dependencies.get(f.package) ?? 0) + f.selfUs);
    if (f.kind === 'node') nodeInternalUs += f.selfUs;
  }

  return {
    totalUs: totalAll,
    idleUs,
    gcUs,
    activeUs: totalAll - idleUs,
    sampleIntervalUs: samples.length ? totalAll / samples.length : 0,
    samples: samples.length,
    functions,
    dependencies: [...dependencies].map(([pkg, us]) => ({ package: pkg, selfUs: us })).sort((a, b) => b.selfUs - a.selfUs),
    nodeInternalUs,
    blocking: blockingRuns(profile, durations, slotOf, keys, keyOfNode, owner),
    logging: loggingTime(functions),
  };
}

function classify(frame: CallFrame, options: { agentPath?: string }): { kind: FrameKind; file: string; package?: string } {
  if (SPECIAL.has(frame.functionName) && frame.url === '') return { kind: 'v8', file: '' };
  const url = frame.url;
  if (url === '' || url.startsWith('node:')) return { kind: 'node', file: url };
  let file = url;
  if (url.startsWith('file://')) {
    try {
      file = fileURLToPath(url);
    } catch {
      file = url;
    }
  }
  if (options.agentPath && file === options.agentPath) return { kind: 'profiler', file };
  const modules = file.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const rest = file.slice(modules + '/node_modules/'.length).split('/');
    const pkg = rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
    return { kind: 'dependency', file, package: pkg };
  }
  // Any file outside node_modules is the service's own code, wherever it lives (a monorepo
  // sibling, a script outside the component's folder).
  return { kind: 'user', file };
}

function postOrder(profile: CpuProfile, byId: Map<number, ProfileNode>): number[] {
  const out: number[] = [];
  const stack: Array<[number, boolean]> = [[profile.nodes[0]!.id, false]];
  while (stack.length) {
    const [id, expanded] = stack.pop()!;
    if (expanded) {
      out.push(id);
      continue;
    }
    stack.push([id, true]);
    for (const child of byId.get(id)!.children ?? []) stack.push([child, false]);
  }
  return out;
}

/**
 * Runs of consecutive samples with JavaScript on the stack, of at least 10 ms: during one, the
 * event loop could not turn. Under saturation requests run back to back, so a run can span several
 * tasks; it still says where the loop's time went, which is what the finding needs.
 */
/** Maps a node id to its index in `profile.nodes`, through a typed array when ids are dense enough. */
function nodeSlots(profile: CpuProfile): (id: number) => number {
  let maxId = 0;
  for (const node of profile.nodes) maxId = Math.max(maxId, node.id);
  if (maxId <= profile.nodes.length * 4 + 1024) {
    const table = new Int32Array(maxId + 1).fill(-1);
    profile.nodes.forEach((node, slot) => (table[node.id] = slot));
    return (id) => table[id]!;
  }
  const map = new Map(profile.nodes.map((node, slot) => [node.id, slot]));
  return (id) => map.get(id)!;
}

function blockingRuns(
  profile: CpuProfile,
  durations: Float64Array,
  slotOf: (id: number) => number,
  keys: readonly Key[],
  keyOfNode: Map<number, Key>,
  owner: Map<number, Key | undefined>,
): ProfileAnalysis['blocking'] {
  // Per node slot: is it on the CPU, and which function owns its time (-1: none).
  const busyBySlot = new Uint8Array(profile.nodes.length);
  const ownerBySlot = new Int32Array(profile.nodes.length).fill(-1);
  profile.nodes.forEach((node, slot) => {
    const name = keyOfNode.get(node.id)!.frame.functionName;
    busyBySlot[slot] = name === '(idle)' || name === '(program)' || name === '(root)' ? 0 : 1;
    ownerBySlot[slot] = owner.get(node.id)?.id ?? -1;
  });
  const episodes: BlockingEpisode[] = [];
  const functionUs = new Float64Array(keys.length);
  // The current run's time per owning function, and which functions it touched.
  const runByKey = new Float64Array(keys.length);
  const touched: number[] = [];
  let runStart = 0;
  let runUs = 0;
  let clock = 0;
  const flush = () => {
    const long = runUs >= BLOCKING_MS * 1000;
    if (long) episodes.push({ startMs: runStart / 1000, durationMs: runUs / 1000 });
    for (const key of touched) {
      if (long) functionUs[key]! += runByKey[key]!;
      runByKey[key] = 0;
    }
    touched.length = 0;
    runUs = 0;
  };
  for (let i = 0; i < profile.samples.length; i++) {
    const slot = slotOf(profile.samples[i]!);
    const duration = durations[i]!;
    if (busyBySlot[slot]) {
      if (runUs === 0) runStart = clock;
      runUs += duration;
      const who = ownerBySlot[slot]!;
      if (who >= 0) {
        if (runByKey[who] === 0) touched.push(who);
        runByKey[who]! += duration;
      }
    } else if (runUs > 0) flush();
    clock += duration;
  }
  flush();
  const sortedEpisodes = [...episodes].sort((a, b) => b.durationMs - a.durationMs);
  return {
    episodes: episodes.length,
    totalMs: episodes.reduce((a, e) => a + e.durationMs, 0),
    maxMs: sortedEpisodes[0]?.durationMs ?? 0,
    longest: sortedEpisodes.slice(0, 5),
    functions: Array.from(functionUs.keys())
      .filter((key) => functionUs[key]! > 0)
      .sort((a, b) => functionUs[b]! - functionUs[a]!)
      .slice(0, 5)
      .map((key) => ({ name: keys[key]!.frame.functionName || '(anonymous)', file: keys[key]!.file, line: keys[key]!.frame.lineNumber + 1, ms: functionUs[key]! / 1000 })),
  };
}

function loggingTime(functions: readonly FunctionStat[]): ProfileAnalysis['logging'] {
  let us = 0;
  const callers = new Map<string, { name: string; file: string; line: number; us: number }>();
  for (const f of functions) {
    const isConsole = f.file === 'node:internal/console/constructor' && CONSOLE_METHODS.has(f.name);
    const isLogger = f.kind === 'dependency' && f.package !== undefined && LOGGING_PACKAGES.has(f.package);
    if (!isConsole && !isLogger) continue;
    // Logging libraries call each other; count the entry points only (those called from user code).
    if (isLogger && f.callers.length === 0) continue;
    us += isConsole ? f.totalUs : f.callers.reduce((sum, c) => sum + c.us, 0);
    for (const caller of f.callers) {
      const id = `${caller.file}:${caller.line}:${caller.name}`;
      const entry = callers.get(id) ?? { ...caller, us: 0 };
      entry.us += caller.us;
      callers.set(id, entry);
    }
  }
  return { us, callers: [...callers.values()].sort((a, b) => b.us - a.us).slice(0, 5) };
}
