import { readdirSync, readFileSync } from 'node:fs';

/**
 * Every live descendant of `pid` (children, grandchildren, ...), from /proc, with its command
 * line: what a server left running. Zombies count too: a child nobody reaped is still a leak.
 */
export function descendants(pid: number): Array<{ pid: number; command: string }> {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name (field 2) may hold spaces and parentheses; the fields after it are fixed.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parents.set(Number(entry), Number(fields[1])); // field 4: ppid
    } catch {
      // the process exited while we looked
    }
  }
  const found: Array<{ pid: number; command: string }> = [];
  const frontier = [pid];
  while (frontier.length > 0) {
    const parent = frontier.pop()!;
    for (const [child, ppid] of parents) {
      if (ppid !== parent) continue;
      frontier.push(child);
      found.push({ pid: child, command: commandLine(child) });
    }
  }
  return found;
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
  } catch {
    return '(exited)';
  }
}
