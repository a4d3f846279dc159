// Types for the tests that use the ccusage helper.
export const CCUSAGE_VERSION: string;
export function ensureCcusage(): { bin: string; native: string };
export function ccusageEnv(claudeDir: string, home: string): NodeJS.ProcessEnv;

export interface CcusageTotals {
  inputTokens: number;
  outputTokens: number;
  cacheCreationTokens: number;
  cacheReadTokens: number;
  totalTokens: number;
  totalCost: number;
}

export interface CcusageDaily {
  daily: Array<CcusageTotals & { period?: string; date?: string }>;
  totals: CcusageTotals;
}

export function ccusageDaily(command: string, claudeDir: string): CcusageDaily;
