import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CancelledError, InputError } from '../../src/errors.js';
import { commandNotes, runCommandBenchmark, type CommandSample } from '../../src/load/command-bench.js';
import { tempDir } from '../helpers/temp.js';

const hasGnuTime = existsSync('/usr/bin/time');

function ctx(extra: { onIteration?: (done: number, total: number, lastWallMs: number) => void } = {}) {
  return { signal: new AbortController().signal, ...extra };
}

/** State letter from /proc/<pid>/stat, undefined when the pid is gone. */
function procState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

// A killed grandchild is re-parented to PID 1, and in some containers PID 1 never reaps, so the
// process lingers as a zombie: dead, holding no resources, but still answering kill(pid, 0).
function alive(pid: number): boolean {
  const state = procState(pid);
  return state !== undefined && state !== 'Z';
}

function liveMembersOfGroup(pgid: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .flatMap((name) => {
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return Number(fields[2]) === pgid && fields[0] !== 'Z' ? [Number(name)] : [];
      } catch {
        return [];
      }
    });
}

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('runCommandBenchmark', () => {
  it('times each run from spawn to exit, with one sample per timed run', async () => {
    const result = await runCommandBenchmark({ command: 'sleep 0.05', cwd: tempDir(), warmup: 1, iterations: 3 }, ctx());
    expect(result.samples).toHaveLength(3);
    expect(result.warmup_runs).toBe(1);
    for (const sample of result.samples) {
      expect(sample.wall_ms).toBeGreaterThanOrEqual(50);
      expect(sample.exit_code).toBe(0);
    }
  });

  it('runs warm-up runs too but keeps them out of the samples, and reports every timed run', async () => {
    const dir = tempDir();
    const progress: Array<[number, number]> = [];
    const result = await runCommandBenchmark(
      { command: 'echo run >> runs.txt', cwd: dir, warmup: 2, iterations: 4 },
      ctx({ onIteration: (done, total, last) => {
        expect(last).toBeGreaterThan(0);
        progress.push([done, total]);
      } }),
    );
    expect(readFileSync(join(dir, 'runs.txt'), 'utf8').trim().split('\n')).toHaveLength(6);
    expect(result.samples).toHaveLength(4);
    expect(progress).toEqual([[1, 4], [2, 4], [3, 4], [4, 4]]);
  });

  it('passes env and cwd to the command', async () => {
    const dir = tempDir();
    await runCommandBenchmark({ command: 'echo "$PERFSOP_X" > out.txt', cwd: dir, env: { PERFSOP_X: 'hello' }, warmup: 0, iterations: 1 }, ctx());
    expect(readFileSync(join(dir, 'out.txt'), 'utf8').trim()).toBe('hello');
  });

  it.runIf(hasGnuTime)('reports user/sys CPU and peak RSS through GNU time', async () => {
    // Allocate and touch ~40 MB so the peak RSS is well above a shell's.
    const command = `"${process.execPath}" -e "const b = Buffer.alloc(40 * 1024 * 1024, 1); let s = 0; for (let i = 0; i < b.length; i += 4096) s += b[i]; if (!s) process.exit(2)"`;
    const result = await runCommandBenchmark({ command, cwd: tempDir(), warmup: 0, iterations: 2 }, ctx());
    for (const sample of result.samples) {
      expect(sample.user_ms).not.toBeNull();
      expect(sample.sys_ms).not.toBeNull();
      expect(sample.user_ms! + sample.sys_ms!).toBeGreaterThanOrEqual(0);
      expect(sample.max_rss_kb).toBeGreaterThan(40 * 1024);
    }
    expect(result.notes.join('\n')).not.toContain('GNU time (/usr/bin/time) not installed');
  });

  it('fails on a non-zero exit with the code, the run and the stderr text', async () => {
    const run = runCommandBenchmark({ command: 'echo "no such table: users" >&2; exit 3', cwd: tempDir(), warmup: 0, iterations: 5 }, ctx());
    await expect(run).rejects.toThrow(/exited with code 3 on run 1: no such table: users/);
  });

  it('fails on a non-zero exit in a warm-up run too', async () => {
    const dir = tempDir();
    // Fails on its second execution, which is the second warm-up run.
    const command = 'if [ -f seen ]; then echo second >&2; exit 7; fi; touch seen';
    await expect(runCommandBenchmark({ command, cwd: dir, warmup: 2, iterations: 2 }, ctx())).rejects.toThrow(
      /exited with code 7 on warm-up run 2: second/,
    );
  });

  it('rejects bad arguments naming the field', async () => {
    await expect(runCommandBenchmark({ command: 'true', cwd: join(tempDir(), 'missing'), warmup: 0, iterations: 1 }, ctx())).rejects.toMatchObject({
      field: 'cwd',
    });
    await expect(runCommandBenchmark({ command: 'true', cwd: tempDir(), warmup: 0, iterations: 0 }, ctx())).rejects.toBeInstanceOf(InputError);
  });

  it('cancellation kills the whole process group at once and throws CancelledError', async () => {
    const dir = tempDir();
    // Run 1 returns at once; later runs record the shell's pid, its process group and a background
    // sleep's pid, then wait on the sleep, so the abort lands mid-run with a process tree alive.
    const command =
      'if [ -f started ]; then sleep 30 & echo "$$ $(cut -d" " -f5 /proc/$$/stat) $!" > pids.txt; wait; fi; touch started';
    const controller = new AbortController();
    const pidsFile = join(dir, 'pids.txt');
    const started = Date.now();
    const run = runCommandBenchmark(
      { command, cwd: dir, warmup: 0, iterations: 3 },
      {
        signal: controller.signal,
        onIteration: (done) => {
          if (done !== 1) return;
          void waitFor(() => existsSync(pidsFile) && readFileSync(pidsFile, 'utf8').trim().split(' ').length === 3).then(() =>
            controller.abort(),
          );
        },
      },
    );
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    expect(Date.now() - started).toBeLessThan(20_000);
    const [shell, pgid, sleeper] = readFileSync(pidsFile, 'utf8').trim().split(' ').map(Number) as [number, number, number];
    await waitFor(() => !alive(shell) && !alive(sleeper));
    expect(liveMembersOfGroup(pgid)).toEqual([]);
  });

  it('a run over its timeout is killed with its group and the error names the timeout', async () => {
    const dir = tempDir();
    const run = runCommandBenchmark({ command: 'echo $$ > pid.txt; sleep 30', cwd: dir, warmup: 0, iterations: 1, timeoutMs: 500 }, ctx());
    await expect(run).rejects.toThrow(/timed out after 500 ms on run 1/);
    const pid = Number(readFileSync(join(dir, 'pid.txt'), 'utf8'));
    await waitFor(() => !alive(pid));
  });

  it('starts no further run once aborted between runs', async () => {
    const dir = tempDir();
    const controller = new AbortController();
    const run = runCommandBenchmark(
      { command: 'echo run >> runs.txt', cwd: dir, warmup: 0, iterations: 5 },
      { signal: controller.signal, onIteration: (done) => done === 2 && controller.abort() },
    );
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    expect(readFileSync(join(dir, 'runs.txt'), 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('throws CancelledError before starting when already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const dir = tempDir();
    await expect(
      runCommandBenchmark({ command: 'touch ran', cwd: dir, warmup: 0, iterations: 1 }, { signal: controller.signal }),
    ).rejects.toBeInstanceOf(CancelledError);
    expect(existsSync(join(dir, 'ran'))).toBe(false);
  });
});

describe('commandNotes', () => {
  const sample = (wall_ms: number): CommandSample => ({ wall_ms, user_ms: null, sys_ms: null, max_rss_kb: null, exit_code: 0 });
  const steady = [20.1, 20.3, 19.9, 20.0, 20.2, 20.1, 19.8, 20.4, 20.0, 20.1];

  it('names outlier runs with their times and the median', () => {
    const walls = [...steady];
    walls[2] = 41.2;
    walls[7] = 39.8;
    const notes = commandNotes(walls.map(sample), 3);
    expect(notes.join('\n')).toMatch(/2 of 10 runs were outliers \(runs 3, 8: 41\.2 ms, 39\.8 ms vs median 20\.1 ms\); rerun on a quiet machine or raise warmup/);
  });

  it('flags a slow first run as cold caches and suggests warmup', () => {
    const notes = commandNotes([95, ...steady.slice(1)].map(sample), 0);
    expect(notes.join('\n')).toMatch(/first timed run took 95\.0 ms.*warm-up runs/);
  });

  it('says start-up dominates very short commands', () => {
    expect(commandNotes([1.2, 1.3, 1.1].map(sample), 0).join('\n')).toMatch(/under 5 ms.*micro benchmark/);
  });

  it('says nothing about steady, long enough runs', () => {
    expect(commandNotes(steady.map(sample), 3)).toEqual([]);
  });
});
