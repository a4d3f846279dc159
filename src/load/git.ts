import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The commit of the measured working directory, so reports can tie a figure to the code it measured. */
export async function gitState(dir: string): Promise<{ commit?: string; dirty?: boolean }> {
  try {
    // Both at once: they are most of the time between a tools/call and the first request of load.
    const [{ stdout: commit }, { stdout: status }] = await Promise.all([
      run('git', ['-C', dir, 'rev-parse', 'HEAD'], { timeout: 5000 }),
      run('git', ['-C', dir, 'status', '--porcelain', '--untracked-files=no'], { timeout: 5000 }),
    ]);
    return { commit: commit.trim(), dirty: status.trim().length > 0 };
  } catch {
    return {}; // not a repository, or git is not installed
  }
}
