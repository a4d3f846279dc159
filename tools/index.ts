import type { ToolDefinition } from '../src/tooling/define-tool.js';
import { benchmarkRun } from './benchmark-run.js';
import { bottleneckAnalyze } from './bottleneck-analyze.js';
import { memoryUsage } from './memory-usage.js';
import { neuralPredict } from './neural-predict.js';
import { neuralTrain } from './neural-train.js';
import { performanceReport } from './performance-report.js';
import { tokenUsage } from './token-usage.js';

/**
 * Every tool perfsop serves, in the order `tools/list` shows them. A tool module holds its
 * definition and rendering; its handler imports the engine behind it (load generation, profiling,
 * training, the HTML report) on its first call, so start-up loads only what tools/list needs.
 * `test/e2e/stdio.test.ts` checks which modules a fresh server has loaded; `bench/startup` times it.
 */
export const TOOLS: readonly ToolDefinition[] = [memoryUsage, benchmarkRun, bottleneckAnalyze, performanceReport, tokenUsage, neuralTrain, neuralPredict];
