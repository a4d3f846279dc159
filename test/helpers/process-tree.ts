import { readdirSync, readFileSync } from 'node:fs';

/**
 * Every live process whose environment carries `NAME=value`, except `exclude`, with its command
 * line. A server started with a unique marker in its environment passes it to everything it
 * starts, so this finds what the server left running (with its state, ppid and process group from
 * /proc/<pid>/stat), including orphans that were reparented
 * away from it (which a walk down from the server's pid would miss).
 */
export function processesMarked(name: string, value: string, exclude: number): Array<{ pid: number; command: string; stat: string }> {
  const marker = `${name}=${value}`;
  const found: Array<{ pid: number; command: string; stat: string }> = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === exclude) continue;
    try {
      if (!readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(marker)) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      found.push({ pid, command: readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim(), stat: stat.slice(stat.lastIndexOf(')') + 2).split(' ').slice(0, 4).join(' ') });
    } catch {
      // the process exited while we looked, or is not ours to read
    }
  }
  return found;
}
