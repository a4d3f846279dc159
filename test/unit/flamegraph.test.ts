import { Session } from 'node:inspector/promises';
import { describe, expect, it } from 'vitest';
import { parseCpuProfile, type CpuProfile, type ProfileNode } from '../../src/profile/cpuprofile.js';
import { buildFlameTree, renderFlameGraph, type FlameData, type FrameKind } from '../../src/report/flamegraph.js';
import { REPO_ROOT } from '../helpers/mcp.js';

interface Frame {
  name: string;
  file: string;
  line: number;
  kind: FrameKind;
  total: number;
  self: number;
  children: Frame[];
}

/** Reads the JSON the page embeds, the way its inline script does, into a nested tree. */
function embedded(html: string): { data: FlameData; root: Frame } {
  const match = /<script type="application\/json" id="flame-data">([\s\S]*?)<\/script>/.exec(html);
  expect(match).not.toBeNull();
  const data = JSON.parse(match![1]!) as FlameData;
  const all: Frame[] = [];
  const open: Array<{ node: Frame; left: number }> = [];
  for (let i = 0; i < data.nodes.length; i += 4) {
    while (open.length > 0 && open.at(-1)!.left === 0) open.pop();
    const [name, file, line, kind] = data.frames[data.nodes[i]!]!;
    const node: Frame = { name, file: data.files[file]!, line, kind, total: data.nodes[i + 1]!, self: data.nodes[i + 2]!, children: [] };
    const parent = open.at(-1);
    if (parent) {
      parent.node.children.push(node);
      parent.left--;
    }
    all.push(node);
    if (data.nodes[i + 3]! > 0) open.push({ node, left: data.nodes[i + 3]! });
  }
  return { data, root: all[0]! };
}

function child(node: Frame, name: string): Frame {
  const found = node.children.find((c) => c.name === name);
  expect(found, `${node.name} has a child ${name}: ${node.children.map((c) => c.name).join(', ')}`).toBeDefined();
  return found!;
}

function frame(id: number, functionName: string, url = '', lineNumber = -1, children?: number[]): ProfileNode {
  return { id, callFrame: { functionName, scriptId: url ? '1' : '0', url, lineNumber, columnNumber: 0 }, ...(children ? { children } : {}) };
}

/**
 * (root) → main → a (hot) → …, main → b (a dependency), main → a again (a second V8 node for the
 * same function, which must merge) → c, main → tiny; plus (idle), (program), (garbage collector).
 */
function syntheticProfile(): CpuProfile {
  const nodes = [
    frame(1, '(root)', '', -1, [2, 3, 4, 5]),
    frame(2, '(idle)'),
    frame(3, '(program)'),
    frame(4, '(garbage collector)'),
    frame(5, 'main', 'file:///app/src/main.js', 0, [6, 7, 8, 10]),
    frame(6, 'a', 'file:///app/src/a.js', 9),
    frame(7, 'b', 'file:///app/node_modules/lodash/index.js', 4),
    frame(8, 'a', 'file:///app/src/a.js', 9, [9]),
    frame(9, 'c', 'node:internal/timers', 1),
    frame(10, 'tiny', 'file:///app/src/tiny.js', 2),
  ];
  const timed: Array<[number, number]> = [
    [2, 1000], [6, 1000], [5, 200], [6, 1000], [4, 300], [9, 400], [3, 500],
    [8, 1000], [7, 600], [2, 1000], [6, 1000], [10, 10],
  ];
  return { nodes, startTime: 0, endTime: 8010, samples: timed.map(([id]) => id), timeDeltas: timed.map(([, us]) => us) };
}

describe('renderFlameGraph on a hand-made profile', () => {
  it('merges call paths and sums total and self time from timeDeltas', () => {
    const html = renderFlameGraph(syntheticProfile(), { title: 'synthetic', appRoot: '/app' });
    const { data, root } = embedded(html);
    expect(data.totalUs).toBe(5510);
    expect(root).toMatchObject({ name: '(root)', total: 5510, self: 0, kind: 'v8' });
    expect(root.children.map((c) => c.name)).toEqual(['main', '(garbage collector)']);
    expect(child(root, '(garbage collector)')).toMatchObject({ total: 300, self: 300, kind: 'v8', file: '' });

    const main = child(root, 'main');
    expect(main).toMatchObject({ total: 5210, self: 200, kind: 'user', file: 'src/main.js', line: 1 });
    // Heaviest first; the two V8 nodes of `a` are one frame, with c under it.
    expect(main.children.map((c) => c.name)).toEqual(['a', 'b', 'tiny']);
    const a = child(main, 'a');
    expect(a).toMatchObject({ total: 4400, self: 4000, file: 'src/a.js', line: 10, kind: 'user' });
    expect(a.children).toHaveLength(1);
    expect(child(a, 'c')).toMatchObject({ total: 400, self: 400, kind: 'node', file: 'node:internal/timers', line: 2 });
    expect(child(main, 'b')).toMatchObject({ total: 600, self: 600, kind: 'dependency', file: 'node_modules/lodash/index.js', line: 5 });
    expect(child(main, 'tiny')).toMatchObject({ total: 10, self: 10 });
  });

  it('leaves out (idle) and (program) and says how much in the header', () => {
    const html = renderFlameGraph(syntheticProfile(), { title: 'synthetic', subtitle: 'checkout-service, 12 samples' });
    const { root } = embedded(html);
    const names = JSON.stringify(root);
    expect(names).not.toContain('(idle)');
    expect(names).not.toContain('(program)');
    // 2000 µs idle and 500 µs program of 8010 µs sampled.
    expect(html).toContain('(idle) 2.00 ms (25.0%)');
    expect(html).toContain('(program) 0.50 ms (6.2%)');
    expect(html).toContain('of 8.01 ms sampled');
    expect(html).toContain('Shown: 5.51 ms of CPU time in 9 samples');
    expect(html).toContain('checkout-service, 12 samples');
    expect(html).toMatch(/Icicle graph: the root is at the top/);
  });

  it('folds call paths below minShare into a "…" stub and keeps self times exact', () => {
    const tree = buildFlameTree(syntheticProfile(), { minShare: 0.01 });
    expect(tree.prunedPaths).toBe(1);
    const { root } = embedded(renderFlameGraph(syntheticProfile(), { title: 'pruned', minShare: 0.01 }));
    const main = child(root, 'main');
    expect(main.children.map((c) => c.name)).toEqual(['a', 'b', '…']);
    expect(child(main, '…')).toMatchObject({ total: 10, self: 10, kind: 'pruned' });
    expect(main).toMatchObject({ total: 5210, self: 200 });
    // A larger share (661 µs) prunes whole subtrees: c (400 µs) goes, its time stays in a's total.
    const coarse = embedded(renderFlameGraph(syntheticProfile(), { title: 'pruned', minShare: 0.12 })).root;
    const a = child(child(coarse, 'main'), 'a');
    expect(a).toMatchObject({ total: 4400, self: 4000 });
    expect(a.children.map((c) => c.name)).toEqual(['…']);
    expect(child(coarse, 'main').children.map((c) => c.name)).toEqual(['a', '…']);
    expect(child(child(coarse, 'main'), '…').total).toBe(610);
  });

  it('classifies files outside appRoot as other, and every file as user code without appRoot', () => {
    const outside = embedded(renderFlameGraph(syntheticProfile(), { title: 't', appRoot: '/elsewhere' })).root;
    expect(child(outside, 'main')).toMatchObject({ kind: 'other', file: '/app/src/main.js' });
    const noRoot = embedded(renderFlameGraph(syntheticProfile(), { title: 't' })).root;
    expect(child(noRoot, 'main')).toMatchObject({ kind: 'user', file: '/app/src/main.js' });
  });

  it('is self-contained: no URL and no external reference', () => {
    const html = renderFlameGraph(syntheticProfile(), { title: 'offline', subtitle: 'sub' });
    expect(html).not.toContain('http://');
    expect(html).not.toContain('https://');
    expect(html).not.toContain('src=');
    expect(html).not.toMatch(/<link|@import|url\(/i);
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('document.documentElement.dataset.rendered');
  });

  it('keeps a hostile function name inside the JSON script element', () => {
    const evil = '</script><script>alert(1)</script><!--';
    const profile = syntheticProfile();
    // Both V8 nodes of `a`, so they still merge.
    profile.nodes[5]!.callFrame.functionName = evil;
    profile.nodes[7]!.callFrame.functionName = evil;
    const html = renderFlameGraph(profile, { title: `title ${evil}`, subtitle: evil });
    expect(html.match(/<script/g)).toHaveLength(2);
    expect(html.match(/<\/script/g)).toHaveLength(2);
    expect(html).not.toContain('alert(1)</script>');
    expect(html).not.toContain('<!--');
    // ...and it still reads back as the same name.
    expect(child(child(embedded(html).root, 'main'), evil).total).toBe(4400);
  });

  it('ignores negative deltas and samples of unknown nodes, and renders an empty profile', () => {
    const profile = syntheticProfile();
    profile.timeDeltas[1] = -50; // a sample of a that now weighs nothing
    profile.samples[2] = 999; // main's own sample now points nowhere
    const tree = buildFlameTree(profile);
    expect(tree.totalUs).toBe(5510 - 1000 - 200);
    expect(tree.unknownUs).toBe(200);

    const idleOnly: CpuProfile = { nodes: [frame(1, '(root)', '', -1, [2]), frame(2, '(idle)')], startTime: 0, endTime: 10, samples: [2, 2], timeDeltas: [5, 5] };
    const html = renderFlameGraph(idleOnly, { title: 'idle' });
    expect(embedded(html).root).toMatchObject({ total: 0, children: [] });
    expect(html).toContain('(idle) 0.01 ms (100.0%)');
    expect(html).toContain('No CPU time was sampled');
  });
});

describe('renderFlameGraph on big profiles', () => {
  /** A deterministic pseudo-random generator (the LCG from Numerical Recipes). */
  function lcg(seed: number): () => number {
    let state = seed >>> 0;
    return () => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return state / 2 ** 32;
    };
  }

  function bigProfile(nodeCount: number, sampleCount: number): CpuProfile {
    const next = lcg(42);
    const nodes: ProfileNode[] = [frame(1, '(root)', '', -1, [])];
    for (let id = 2; id <= nodeCount; id++) {
      // Parents skew towards the top so the tree is bushy there and deep in places.
      const parent = nodes[Math.floor(next() ** 2 * nodes.length)]!;
      (parent.children ??= []).push(id);
      const fn = Math.floor(next() * 5000);
      const file = Math.floor(next() * 300);
      const url = file % 3 === 0 ? `file:///srv/app/node_modules/pkg${file}/lib/index.js` : `file:///srv/app/src/module-${file}.js`;
      nodes.push(frame(id, `function_${fn}`, url, fn % 400));
    }
    const samples = new Array<number>(sampleCount);
    const timeDeltas = new Array<number>(sampleCount);
    for (let s = 0; s < sampleCount; s++) {
      samples[s] = 1 + Math.floor(next() ** 3 * nodeCount);
      timeDeltas[s] = 50 + Math.floor(next() * 100);
    }
    return { nodes, startTime: 0, endTime: 0, samples, timeDeltas };
  }

  it('renders 1M samples over 300k nodes quickly, into a page under 2 MB', () => {
    const profile = bigProfile(300_000, 1_000_000);
    const started = performance.now();
    const html = renderFlameGraph(profile, { title: 'big', appRoot: '/srv/app' });
    const elapsedMs = performance.now() - started;
    const { data, root } = embedded(html);
    const expected = profile.timeDeltas.reduce((sum, d) => sum + d, 0);
    expect(root.total).toBe(expected);
    expect(data.nodes.length / 4).toBeGreaterThan(500);
    expect(html.length).toBeLessThan(2_000_000);
    expect(elapsedMs).toBeLessThan(15_000);
    process.stderr.write(`[flamegraph] 1M samples / 300k nodes: ${(html.length / 1024).toFixed(0)} KiB, ${data.nodes.length / 4} frames kept, ${elapsedMs.toFixed(0)} ms\n`);
  });

  it('stays under 2 MB for a 50,000-deep recursion with long distinct names', () => {
    const depth = 50_000;
    const nodes: ProfileNode[] = [frame(1, '(root)', '', -1, [2])];
    for (let id = 2; id <= depth; id++) {
      nodes.push(frame(id, `recurse_${id}_${'x'.repeat(150)}`, `file:///srv/app/${'deep/'.repeat(30)}r.js`, id, id < depth ? [id + 1] : undefined));
    }
    const samples = nodes.map((n) => n.id);
    const profile: CpuProfile = { nodes, startTime: 0, endTime: 0, samples, timeDeltas: samples.map(() => 100) };
    const html = renderFlameGraph(profile, { title: 'deep' });
    expect(html.length).toBeLessThan(2_000_000);
    const { data } = embedded(html);
    expect(data.totalUs).toBe(100 * depth);
    expect(data.nodes.length / 4).toBeGreaterThan(100);
  });
});

describe('renderFlameGraph on a real profile', () => {
  // A named function that burns CPU, so it is on the stack in most samples.
  function flamegraphTestHotLoop(ms: number): number {
    const end = performance.now() + ms;
    let x = 0;
    while (performance.now() < end) {
      for (let i = 0; i < 10_000; i++) x = (x + Math.sqrt(i * x + 1)) % 1_000_003;
    }
    return x;
  }

  it('records ~200 ms with node:inspector and finds the hot function in the tree', async () => {
    const session = new Session();
    session.connect();
    let profile: CpuProfile;
    try {
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 200 });
      await session.post('Profiler.start');
      flamegraphTestHotLoop(200);
      profile = parseCpuProfile((await session.post('Profiler.stop')).profile);
    } finally {
      session.disconnect();
    }

    const html = renderFlameGraph(profile, { title: 'real', subtitle: '200 ms of a hot loop', appRoot: REPO_ROOT });
    const { root } = embedded(html);
    const hot: Frame[] = [];
    const pending = [root];
    while (pending.length > 0) {
      const node = pending.pop()!;
      if (node.name === 'flamegraphTestHotLoop') hot.push(node);
      pending.push(...node.children);
    }
    expect(hot.length).toBeGreaterThan(0);
    const hotUs = hot.reduce((sum, n) => sum + n.total, 0);
    expect(hotUs).toBeGreaterThan(100_000);
    expect(hot[0]!.file).toContain('flamegraph.test.ts');
    expect(hot[0]!.kind).toBe('user');
    expect(html).not.toMatch(/src=|https?:\/\//);
    process.stderr.write(`[flamegraph] 200 ms real profile: ${profile.samples.length} samples, ${(html.length / 1024).toFixed(0)} KiB\n`);
  });
});
