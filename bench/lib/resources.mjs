// Everything a benchmark starts (child processes, temp folders) is registered here and released
// in reverse order, on success, on error and on Ctrl-C, so a run never leaves anything behind.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class Resources {
  #closers = [];

  /** Registers a release function; it runs at most once. */
  add(close) {
    let done = false;
    const once = async () => {
      if (done) return;
      done = true;
      await close();
    };
    this.#closers.push(once);
    return once;
  }

  async tempDir(prefix) {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    this.add(() => rm(dir, { recursive: true, force: true }));
    return dir;
  }

  async closeAll() {
    for (const close of this.#closers.reverse()) {
      try {
        await close();
      } catch (error) {
        process.stderr.write(`cleanup: ${error?.message ?? error}\n`);
      }
    }
    this.#closers = [];
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
