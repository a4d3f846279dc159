// Everything a benchmark starts (child processes, temp folders) is registered here and released
// in reverse order, on success, on error and on Ctrl-C, so a run never leaves anything behind.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class Resources {
  #closers = [];
  #closing = false;

  /** True once closeAll has started: whatever is still running is on its way out. */
  get closing() {
    return this.#closing;
  }

  /**
   * Registers a release function; it runs at most once, and a second call waits for the first.
   * Registered after closeAll started (an interrupted run that went on), it runs at once.
   */
  add(close) {
    let running;
    const once = () => (running ??= Promise.resolve().then(close));
    if (this.#closing) void once().catch((error) => process.stderr.write(`cleanup: ${error?.message ?? error}\n`));
    else this.#closers.push(once);
    return once;
  }

  async tempDir(prefix) {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    this.add(() => rm(dir, { recursive: true, force: true }));
    return dir;
  }

  async closeAll() {
    // Taken before the first await: on Ctrl-C the interrupted run's own `finally` calls closeAll
    // again while the first call is still stopping processes, and must not start over (in another
    // order, removing temp folders while the processes that write into them still run).
    this.#closing = true;
    const closers = this.#closers.reverse();
    this.#closers = [];
    for (const close of closers) {
      try {
        await close();
      } catch (error) {
        process.stderr.write(`cleanup: ${error?.message ?? error}\n`);
      }
    }
  }
}

/**
 * Runs `fn(resources)` and always releases what it registered. A time budget bounds the run: when
 * it is spent, `resources.checkBudget()` throws, so long loops stop and cleanup still happens.
 */
export async function withResources(budgetMs, fn) {
  const resources = new Resources();
  const deadline = Date.now() + budgetMs;
  resources.checkBudget = () => {
    if (resources.closing) throw new Error('cleaning up; stopping');
    if (Date.now() > deadline) throw new Error(`time budget of ${Math.round(budgetMs / 1000)} s exceeded; stopping`);
  };
  let interrupted;
  const interrupt = (signal) => {
    interrupted = signal;
    process.stderr.write(`\n${signal}: cleaning up\n`);
    void resources.closeAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  try {
    return await fn(resources);
  } catch (error) {
    // Closing the servers under a running benchmark makes its pending call fail; that is not news.
    throw interrupted ? new Error(`interrupted by ${interrupted}`) : error;
  } finally {
    await resources.closeAll();
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  }
}
