import { InputError } from './errors.js';

/**
 * The SOP-008 workflow as an MCP prompt: the steps as instructions for the client's model, naming
 * the perfsop tool to call at each step with the arguments to send. The client's model does the
 * work; the prompt only orders it.
 */
export const SOP_PERF = {
  name: 'sop_perf',
  title: 'Performance analysis & optimization (SOP-008)',
  description: 'Baseline, profile, fix, validate under load, report and remember: the SOP-008 steps for one component, naming the perfsop tools to call in order.',
  arguments: [
    { name: 'component', description: 'The component from perfsop.config.json to work on, e.g. checkout-service', required: true },
    { name: 'issue', description: 'What is wrong, in the reporter\'s words, e.g. "checkout p95 is 1.8 s"', required: true },
    { name: 'target_p95_ms', description: 'The p95 latency goal in milliseconds (default 500, the SOP\'s target)', required: false },
  ],
} as const;

export function sopPerfPrompt(args: Record<string, string | undefined>): { description: string; messages: Array<{ role: 'user'; content: { type: 'text'; text: string } }> } {
  const component = args.component?.trim();
  const issue = args.issue?.trim();
  if (!component) throw new InputError('component', 'sop_perf needs `component`: a component name from perfsop.config.json');
  if (!issue) throw new InputError('issue', 'sop_perf needs `issue`: what is slow, in a sentence');
  const targetText = args.target_p95_ms?.trim() || '500';
  const target = Number(targetText);
  if (!Number.isFinite(target) || target <= 0) throw new InputError('target_p95_ms', `target_p95_ms must be a positive number of milliseconds, got ${JSON.stringify(targetText)}`);
  const c = JSON.stringify(component);
  const text = `You are running SOP-008 (performance analysis and optimization) on component ${c} with the perfsop tools.
Reported issue: ${issue}
Target: p95 below ${target} ms under the component's configured load.

Every number you report must come from a tool result. Do not estimate.

1. Baseline. Call benchmark_run {"component": ${c}, "label": "before", "p95_ms": ${target}} and note p50, p95, p99, req/s and the error rate.
2. Find the bottlenecks. Call bottleneck_analyze {"component": ${c}}. Read the ranked findings: each has its evidence (function and file:line, query fingerprint with its count per request, table and column, event-loop delay) and a fix. If findings list "worked before" techniques, weigh them.
3. Fix. Change the code for the top findings, highest measured impact first; keep each change small and name the technique (e.g. "batch-queries", "add-index", "hash-map", "cache-tax-rules").
4. Validate under load. Call benchmark_run {"component": ${c}, "label": "after", "technique": "<the technique>", "baseline": "before", "p95_ms": ${target}}. Report each metric's change with its 95% confidence interval and verdict. Only "improved" counts as an improvement; "no significant change" is not one. If p95 is still above ${target} ms, go back to step 2.
5. Report. Call performance_report {"format": "detailed", "timeframe": "24h", "component": ${c}} and give the user the before/after table and the remaining findings.
6. Store the learning. Call memory_usage {"action": "store", "namespace": "learning", "key": "performance/optimizations/${component}-<date>", "value": "<JSON with the bottleneck, the fix, before and after p95>"}.
7. Train. Call neural_train {"pattern_type": "optimization"} so the next analysis ranks fixes by what worked (benchmark_run already recorded the measured outcome of step 4).`;
  return { description: `SOP-008 for ${component}: ${issue}`, messages: [{ role: 'user', content: { type: 'text', text } }] };
}
