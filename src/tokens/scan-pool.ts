import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { CancelledError } from '../errors.js';
import { locateChildScript } from '../load/child-script.js';
import { log } from '../log.js';
import { scanFile, type ScanOutcome, type ScanTask } from './scan.js';

/**
 * Below this many bytes to read, starting workers (~40 ms each) costs more than it saves: the
 * repeat reads of a session's appended lines always stay on the calling thread.
 */
export const WORKER_MIN_BYTES = 32 * 1024 * 1024;
const MAX_WORKERS = 4;

export interface PoolOptions {
  signal?: AbortSignal;
  /** Overrides WORKER_MIN_BYTES (tests exercise the worker path on small folders). */
  workerMinBytes?: number;
}

export interface PoolResult {
  outcomes: ScanOutcome[];
  workers: number;
}

/** Scans every task, in worker threads when there is enough to read; outcomes keep the tasks' order. */
export async function scanAll(tasks: readonly ScanTask[], options: PoolOptions = {}): Promise<PoolResult> {
  const bytes = tasks.reduce((sum, task) => sum + (task.end - task.start), 0);
  const workers = Math.min(availableParallelism(), MAX_WORKERS, tasks.length);
  if (workers < 2 || bytes < (options.workerMinBytes ?? WORKER_MIN_BYTES)) return { outcomes: tasks.map(scanFile), workers: 0 };
  let script: string;
  try {
    script = locateChildScript('../tokens/scan-worker.js', 'PERFSOP_SCAN_WORKER');
  } catch (error) {
    log.debug('token scan worker not built; scanning on this thread', error);
    return { outcomes: tasks.map(scanFile), workers: 0 };
  }
  const shares = share(tasks, workers);
  const results = await Promise.all(shares.map((indexes) => runWorker(script, indexes.map((i) => tasks[i]!), options.signal)));
  const outcomes: ScanOutcome[] = new Array<ScanOutcome>(tasks.length);
  shares.forEach((indexes, w) => indexes.forEach((taskIndex, k) => (outcomes[taskIndex] = results[w]![k]!)));
  return { outcomes, workers };
}

/** Largest files first, each to the least loaded worker: shares end up within one file of each other. */
function share(tasks: readonly ScanTask[], workers: number): number[][] {
  const order = tasks.map((_, i) => i).sort((a, b) => tasks[b]!.end - tasks[b]!.start - (tasks[a]!.end - tasks[a]!.start));
  const shares: number[][] = Array.from({ length: workers }, () => []);
  const load = new Array<number>(workers).fill(0);
  for (const index of order) {
    const target = load.indexOf(Math.min(...load));
    shares[target]!.push(index);
    load[target]! += tasks[index]!.end - tasks[index]!.start;
  }
  return shares;
}

function runWorker(script: string, tasks: ScanTask[], signal: AbortSignal | undefined): Promise<ScanOutcome[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(script, { workerData: tasks });
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', abort);
      fn();
    };
    const abort = () => finish(() => void worker.terminate().then(() => reject(new CancelledError())));
    if (signal?.aborted) return abort();
    signal?.addEventListener('abort', abort, { once: true });
    worker.once('message', (outcomes: ScanOutcome[]) => finish(() => resolve(outcomes)));
    worker.once('error', (error) => finish(() => reject(error)));
    worker.once('exit', (code) => finish(() => reject(new Error(`token scan worker exited with code ${code} before answering`))));
  });
}
