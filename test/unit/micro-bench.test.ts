import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CancelledError, InputError } from '../../src/errors.js';
import { microNotes, runMicroBenchmark, type MicroBenchmarkSpec, type MicroFunctionResult } from '../../src/load/micro-bench.js';
import { isRunning } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp.js';

// The runner is a separate compiled program: under vitest micro-bench.ts finds it in
// dist/src/load/micro-runner.js, so these tests assume `npm run build` has run (`npm test` does),
// or PERFSOP_MICRO_RUNNER points at a compiled micro-runner.js.

const FAST = { rounds: 5, warmupMs: 20, minRoundMs: 2 } satisfies Partial<MicroBenchmarkSpec>;

function ctx() {
  return { signal: new AbortController().signal };
}

function writeModule(source: string, name = 'bench.mjs'): { dir: string; module: string } {
  const dir = tempDir();
  const module = join(dir, name);
  writeFileSync(module, source);
  return { dir, module };
}

const SUMS = `
const small = Array.from({ length: 100 }, (_, i) => i);
const large = Array.from({ length: 1000 }, (_, i) => i);
export function sumSmall() { let s = 0; for (const x of small) s += x; return s; }
export function sumLarge() { let s = 0; for (const x of large) s += x; return s; }
export const notAFunction = 42;
`;

describe('runMicroBenchmark', () => {
  it('times every exported function; ten times the work costs more per call', async () => {
    const { dir, module } = writeModule(SUMS);
    const progress: string[] = [];
    const result = await runMicroBenchmark(
      { module, cwd: dir, ...FAST },
      { ...ctx(), onProgress: (done, total, name) => progress.push(`${done}/${total} ${name}`) },
    );
    expect(result.functions.map((f) => f.name).sort()).toEqual(['sumLarge', 'sumSmall']);
    expect(progress).toHaveLength(2);
    expect(progress.map((p) => p.split(' ')[0])).toEqual(['1/2', '2/2']);
    expect(result.node_version).toBe(process.version);
    const byName = Object.fromEntries(result.functions.map((f) => [f.name, f]));
    expect(byName.sumLarge!.median_ns).toBeGreaterThan(byName.sumSmall!.median_ns);
    for (const f of result.functions) {
      expect(f.rounds_ns).toHaveLength(5);
      expect(f.ops_per_round).toBeGreaterThanOrEqual(1);
      expect(f.mean_ns).toBeGreaterThan(0);
      expect(f.moe_ns).toBeGreaterThanOrEqual(0);
      expect(f.ops_per_sec).toBeCloseTo(1e9 / f.mean_ns);
    }
  });

  it('awaits async functions and times the wait', async () => {
    const { dir, module } = writeModule(`export async function nap() { await new Promise((r) => setTimeout(r, 5)); }`);
    const result = await runMicroBenchmark({ module, cwd: dir, rounds: 3, warmupMs: 0, minRoundMs: 1 }, ctx());
    const [nap] = result.functions;
    expect(nap!.name).toBe('nap');
    // A 5 ms timer cannot fire sooner (Node may round it down by under a millisecond).
    expect(nap!.median_ns).toBeGreaterThanOrEqual(4e6);
    expect(result.notes.join('\n')).toMatch(/`nap` returns a promise/);
  });

  it('includes a default export that is a function, and CommonJS modules', async () => {
    const { dir, module } = writeModule(`module.exports = function () { return 1 + 1; };`, 'bench.cjs');
    const result = await runMicroBenchmark({ module, cwd: dir, ...FAST }, ctx());
    expect(result.functions.map((f) => f.name)).toEqual(['default']);
  });

  it('times only the functions asked for', async () => {
    const { dir, module } = writeModule(SUMS);
    const result = await runMicroBenchmark({ module, cwd: dir, ...FAST, functions: ['sumSmall'] }, ctx());
    expect(result.functions.map((f) => f.name)).toEqual(['sumSmall']);
  });

  it('names requested functions the module does not export', async () => {
    const { dir, module } = writeModule(SUMS);
    await expect(runMicroBenchmark({ module, cwd: dir, ...FAST, functions: ['sumHuge'] }, ctx())).rejects.toMatchObject({
      field: 'functions',
      message: expect.stringMatching(/sumHuge.*exported functions: sumLarge, sumSmall/),
    });
  });

  it('reports an export that throws, by name', async () => {
    const { dir, module } = writeModule(`export function fine() { return 1; }\nexport function broken() { throw new Error('kaboom'); }`);
    await expect(runMicroBenchmark({ module, cwd: dir, ...FAST }, ctx())).rejects.toThrow(/`broken` threw: Error: kaboom/);
  });

  it('says what a module exports when none of it is a function', async () => {
    const { dir, module } = writeModule(`export const a = 1;\nexport const b = 'x';`);
    await expect(runMicroBenchmark({ module, cwd: dir, ...FAST }, ctx())).rejects.toThrow(/exports no functions.*a, b/);
  });

  it('rejects a missing module as an InputError on `module`', async () => {
    const dir = tempDir();
    const run = runMicroBenchmark({ module: join(dir, 'nope.mjs'), cwd: dir, ...FAST }, ctx());
    await expect(run).rejects.toBeInstanceOf(InputError);
    await expect(run).rejects.toMatchObject({ field: 'module' });
  });

  it('cancellation kills the runner at once and throws CancelledError', async () => {
    // About 50 ms of busy work per call with 1000 rounds: minutes of work unless killed.
    const { dir, module } = writeModule(`export function spin() { const end = Date.now() + 50; while (Date.now() < end); }`);
    const controller = new AbortController();
    let pid: number | undefined;
    const run = runMicroBenchmark(
      { module, cwd: dir, rounds: 1000, warmupMs: 0, minRoundMs: 1 },
      { signal: controller.signal, onStart: (p) => (pid = p) },
    );
    const started = Date.now();
    setTimeout(() => controller.abort(), 300);
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(pid).toBeDefined();
    // The runner is perfsop's direct child and was reaped before the promise settled.
    expect(isRunning(pid!)).toBe(false);
  });

  it('a benchmark over its timeout is killed and the error says so', async () => {
    const { dir, module } = writeModule(`export function spin() { const end = Date.now() + 50; while (Date.now() < end); }`);
    let pid: number | undefined;
    const run = runMicroBenchmark(
      { module, cwd: dir, rounds: 1000, warmupMs: 0, minRoundMs: 1, timeoutMs: 300 },
      { ...ctx(), onStart: (p) => (pid = p) },
    );
    await expect(run).rejects.toThrow(/timed out after 300 ms/);
    expect(isRunning(pid!)).toBe(false);
  });
});

describe('microNotes', () => {
  const result = (name: string, rounds_ns: number[], ops_per_round = 1000): MicroFunctionResult => {
    const mean_ns = rounds_ns.reduce((a, b) => a + b, 0) / rounds_ns.length;
    return { name, ops_per_round, rounds_ns, mean_ns, median_ns: mean_ns, moe_ns: 0, rme_pct: 0, ops_per_sec: 1e9 / mean_ns };
  };
  const raw = (r: MicroFunctionResult, isAsync = false) => ({ name: r.name, async: isAsync, ops_per_round: r.ops_per_round, rounds_ns: r.rounds_ns });
  const config = { rounds: 5, minRoundMs: 20 };

  it('flags an unstable function by its relative margin of error', () => {
    const shaky = { ...result('shaky', [100, 140, 90, 160, 110], 200_000), rme_pct: 23.4 };
    expect(microNotes([raw(shaky)], [shaky], 30, config).join('\n')).toMatch(/unstable: `shaky` varies ±23\.4%/);
  });

  it('flags rounds too short for the timer and calls the JIT optimised away', () => {
    const tiny = result('tiny', [0.3, 0.3, 0.3], 10);
    const text = microNotes([raw(tiny)], [tiny], 30, config).join('\n');
    expect(text).toMatch(/`tiny`: a round lasts .* timer resolution dominates/);
    expect(text).toMatch(/`tiny`: .* the JIT has probably removed the work/);
  });

  it('says nothing about steady, long rounds', () => {
    const steady = result('steady', [100, 101, 99, 100, 100], 200_000);
    expect(microNotes([raw(steady)], [steady], 30, config)).toEqual([]);
  });
});
