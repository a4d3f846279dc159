// bench/RESULTS.md holds one section per benchmark between markers; `--write` replaces only the
// benchmark's own section, so the header and the other section stay as they are.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './servers.mjs';

export const RESULTS_PATH = join(ROOT, 'bench/RESULTS.md');

/**
 * UTC date as `date -u` prints it, machine, node version and the command that produced a run.
 * `script` is the path from the repository root; `npmScript` the package.json script running it, if any.
 */
export function runContext(script, npmScript) {
  let date;
  try {
    date = execFileSync('date', ['-u'], { encoding: 'utf8' }).trim();
  } catch {
    date = new Date().toUTCString();
  }
  const cores = cpus();
  const args = process.argv.slice(2).join(' ');
  const command = npmScript && process.env.npm_lifecycle_event === npmScript
    ? `npm run ${npmScript}${args ? ` -- ${args}` : ''}`
    : `node ${script}${args ? ` ${args}` : ''}`;
  return {
    date,
    source: sourceState(),
    node: process.version,
    machine: `${cores.length} x ${cores[0]?.model?.trim() ?? 'unknown CPU'}, ${process.platform} ${process.arch}`,
    command,
    load: loadavg().map((x) => x.toFixed(2)).join(' '),
  };
}

export function contextLines(context) {
  return [
    `Measured ${context.date} with node ${context.node} on ${context.machine} (load average at start ${context.load}).`,
    `Command: \`${context.command}\`; source ${context.source}.`,
  ];
}

/** Which code was measured: the commit, and whether the product sources differed from it. */
function sourceState() {
  const git = (...args) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const commit = git('rev-parse', '--short', 'HEAD');
    const dirty = git('status', '--porcelain', '--', 'src', 'tools') !== '';
    return `commit ${commit}${dirty ? ' with uncommitted changes in src/ or tools/' : ''}`;
  } catch {
    return 'not a git checkout';
  }
}

/** Replaces the text between `<!-- bench:NAME:start -->` and `<!-- bench:NAME:end -->`, adding the section if absent. */
export function writeSection(name, body) {
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const block = `${start}\n${body.trim()}\n${end}`;
  const text = existsSync(RESULTS_PATH) ? readFileSync(RESULTS_PATH, 'utf8') : '# Benchmark results\n';
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  const updated = from >= 0 && to > from
    ? text.slice(0, from) + block + text.slice(to + end.length)
    : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(RESULTS_PATH, updated);
  return RESULTS_PATH;
}
