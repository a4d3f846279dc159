import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { formatFigure } from '../format.js';
import { PACKAGE_ROOT, VERSION } from '../version.js';

/**
 * `npm run demo` / `perfsop demo`: SOP-008 on the bundled checkout service, driven the way an
 * agent drives it, through a real MCP client talking to a perfsop server over stdio. Every figure
 * printed comes from the tools' answers. The database is a temporary one unless `--db` is given.
 */

interface Step {
  title: string;
  tool: string;
  args: Record<string, unknown>;
  /** Lines of the tool's text to show (the rest is in structuredContent). */
  show?: number;
}

type Structured = Record<string, unknown>;

export interface DemoOptions {
  dbPath?: string;
  out?: NodeJS.WritableStream;
}

export async function runDemo(options: DemoOptions = {}): Promise<number> {
  const out = options.out ?? process.stdout;
  const write = (text: string) => out.write(`${text}\n`);
  // A given database keeps its artifacts beside it (or in PERFSOP_HOME); otherwise all goes in a temp folder.
  const home = options.dbPath ? (process.env.PERFSOP_HOME ?? dirname(resolve(options.dbPath))) : mkdtempSync(join(tmpdir(), 'perfsop-demo-'));
  const dbPath = options.dbPath ? resolve(options.dbPath) : join(home, 'perfsop.db');
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [join(PACKAGE_ROOT, 'dist', 'src', 'cli.js'), '--config', join(PACKAGE_ROOT, 'perfsop.config.json'), '--db', dbPath],
    env: { ...(process.env as Record<string, string>), PERFSOP_HOME: home },
    cwd: PACKAGE_ROOT,
    stderr: 'inherit',
  });
  const client = new Client({ name: 'perfsop-demo', version: VERSION });
  const tty = 'isTTY' in out && Boolean((out as { isTTY?: boolean }).isTTY);
  const started = performance.now();
  let succeeded = false;
  try {
    await client.connect(transport);
    const date = new Date().toISOString().slice(0, 10);
    const steps: Step[] = [
      { title: 'Baseline: the slow checkout under load, and the tax calculation', tool: 'benchmark_run', args: { suite: 'performance-validation', label: 'before' }, show: 6 },
      { title: 'Find the bottlenecks: profile checkout-service under load', tool: 'bottleneck_analyze', args: { component: 'checkout-service', duration: 8 }, show: 18 },
      {
        title: 'Validate the fix: the optimized variant (batched query, cached tax rules, hash-map discounts, the index, quiet logging) against the baseline',
        tool: 'benchmark_run',
        args: { suite: 'performance-validation-optimized', label: 'after', technique: 'batch-queries+cache-tax-rules+hash-map-discounts+sku-index+quiet-logging', baseline: 'before' },
        show: 22,
      },
      { title: 'Count the queries per request after the fix', tool: 'bottleneck_analyze', args: { component: 'checkout-service-optimized', duration: 4, metrics: ['db_queries', 'response_time'] }, show: 4 },
    ];
    const results: Structured[] = [];
    for (const [i, step] of steps.entries()) results.push(await runStep(client, step, i + 1, 7, write, tty));
    const [before, analysis, after, afterAnalysis] = results as [Structured, Structured, Structured, Structured];

    const learning = {
      component: 'checkout-service',
      bottlenecks: (analysis.findings as Array<{ title: string }>).slice(0, 5).map((f) => f.title),
      fix: 'batched inventory query, cached tax rules, hash-map discounts, index on product_variants.sku, quiet logging',
      before: headline(before),
      after: headline(after),
      comparison: after.comparison,
    };
    await runStep(client, { title: 'Store the learning in the shared memory', tool: 'memory_usage', args: { action: 'store', namespace: 'learning', key: `performance/optimizations/checkout-${date}`, value: JSON.stringify(learning), ttl: 15_552_000 }, show: 2 }, 5, 7, write, tty);
    await runStep(client, { title: 'Train on the recorded outcomes', tool: 'neural_train', args: { pattern_type: 'optimization' }, show: 3 }, 6, 7, write, tty);
    const report = await runStep(client, { title: 'Report', tool: 'performance_report', args: { format: 'html', timeframe: '24h' }, show: 12 }, 7, 7, write, tty);

    write('\n## Before / after (checkout, POST /api/checkout with 15 items)\n');
    write(beforeAfterTable(after, analysis, afterAnalysis));
    const html = (report.html as { path: string } | undefined)?.path;
    write(`\nHTML report: ${html ?? '(not written)'}`);
    write(
      options.dbPath
        ? `Database: ${dbPath}`
        : `Temporary folder: ${home} (everything in it but the report is removed now: the database, the service logs, the profiles; pass --db to keep them)`,
    );
    write(`Demo finished in ${Math.round((performance.now() - started) / 1000)} s.`);
    succeeded = true;
    return 0;
  } catch (error) {
    write(`\ndemo FAILED: ${error instanceof Error ? error.message : String(error)}`);
    if (!options.dbPath) write(`The database and the service logs of this run are kept in ${home}.`);
    return 1;
  } finally {
    await client.close().catch(() => undefined);
    if (succeeded && !options.dbPath) removeAllButReports(home);
  }
}

/**
 * Empties the demo's temporary folder except for the HTML reports, which are small and
 * self-contained. The rest is mostly the checkout service's logs: its planted excessive logging
 * writes 50-100 MB per run, which would otherwise pile up in the temp folder run after run.
 */
function removeAllButReports(home: string): void {
  for (const name of readdirSync(home)) if (name !== 'artifacts') rmSync(join(home, name), { recursive: true, force: true });
  const artifacts = join(home, 'artifacts');
  if (!existsSync(artifacts)) return;
  for (const name of readdirSync(artifacts)) if (name !== 'reports') rmSync(join(artifacts, name), { recursive: true, force: true });
}

async function runStep(client: Client, step: Step, n: number, total: number, write: (text: string) => void, tty: boolean): Promise<Structured> {
  write(`\n## Step ${n}/${total}: ${step.title}\n$ ${step.tool} ${JSON.stringify(step.args).slice(0, 300)}`);
  const begun = performance.now();
  let lastLine = 0;
  const result = (await client.callTool({ name: step.tool, arguments: step.args }, undefined, {
    timeout: 600_000,
    resetTimeoutOnProgress: true,
    onprogress: ({ progress, total: of, message }) => {
      const line = `  … ${Math.round((performance.now() - begun) / 1000)} s ${message ?? ''}${of ? ` (${progress}/${of})` : ''}`;
      if (tty) process.stdout.write(`\r${line.slice(0, 110).padEnd(110)}`);
      else if (performance.now() - lastLine > 5000) {
        lastLine = performance.now();
        write(line);
      }
    },
  })) as CallToolResult;
  if (tty) process.stdout.write(`\r${' '.repeat(110)}\r`);
  const text = result.content.filter((c) => c.type === 'text').map((c) => (c as { text: string }).text).join('\n');
  const lines = text.split('\n');
  const shown = lines.slice(0, step.show ?? 10);
  write(shown.join('\n'));
  if (lines.length > shown.length) write(`  (${lines.length - shown.length} more lines in the full answer)`);
  write(`  [${step.tool}: ${Math.round(performance.now() - begun) / 1000} s]`);
  if (result.isError) throw new Error(`${step.tool} answered with an error`);
  return (result.structuredContent ?? {}) as Structured;
}

function headline(run: Structured): Record<string, unknown> {
  const checkout = (run.benchmarks as Array<{ name: string; stats: Record<string, number>; rps: number }>).find((b) => b.name === 'checkout');
  return checkout ? { p50_ms: checkout.stats.p50, p95_ms: checkout.stats.p95, p99_ms: checkout.stats.p99, rps: checkout.rps } : {};
}

/** The SOP's before/after table, from the validation run's comparison and the two analyses. */
export function beforeAfterTable(after: Structured, beforeAnalysis: Structured, afterAnalysis: Structured): string {
  const rows = (after.comparison as Array<{ name: string; metric: string; baseline: number | null; current: number | null; change_pct: number | null; ci95: number[] | null; verdict: string }>).filter(
    (r) => r.name === 'checkout',
  );
  const lines = ['| metric | before | after | change | 95% CI | verdict |', '|---|---|---|---|---|---|'];
  const units: Record<string, string> = { p50: 'ms', p95: 'ms', p99: 'ms', rps: 'req/s' };
  for (const metric of ['p50', 'p95', 'p99', 'rps']) {
    const r = rows.find((row) => row.metric === metric);
    if (!r) continue;
    lines.push(`| ${metric} | ${formatFigure(r.baseline)} ${units[metric]} | ${formatFigure(r.current)} ${units[metric]} | ${pct(r.change_pct)} | ${r.ci95 ? `${pct(r.ci95[0]!)} to ${pct(r.ci95[1]!)}` : '-'} | ${r.verdict} |`);
  }
  const q = (a: Structured) => (a.summary as { queries_per_request: number | null }).queries_per_request;
  const qBefore = q(beforeAnalysis);
  const qAfter = q(afterAnalysis);
  if (qBefore !== null && qAfter !== null) {
    const change = qBefore ? ((qAfter - qBefore) / qBefore) * 100 : null;
    // A count per request, the same on every request: no interval to compute, the verdict is the count.
    lines.push(`| queries per request | ${qBefore} | ${qAfter} | ${pct(change)} | exact count | ${qAfter < qBefore ? 'improved' : qAfter > qBefore ? 'regressed' : 'no change'} |`);
  }
  return lines.join('\n');
}

function pct(x: number | null): string {
  if (x === null) return '-';
  return `${x > 0 ? '+' : ''}${Math.round(x * 10) / 10}%`;
}
