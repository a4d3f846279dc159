// Types for the tests that import the generator.
export interface Copy {
  ts: number;
  model: string;
  input: number;
  output: number;
  cacheCreation: number;
  cacheCreation1h: number;
  cacheRead: number;
  costUSD: number | null;
}

export interface GeneratedStats {
  files: number;
  bytes: number;
  messages: number;
  usageLines: number;
  input: number;
  output: number;
  cacheCreation: number;
  cacheRead: number;
  /** Streamed copies of messages without a requestId, beyond the one a de-duplicating reader keeps. */
  extraCopies: Copy[];
}

export function generateTranscripts(
  dir: string,
  options?: { mb?: number; seed?: number; projects?: number; withRequestId?: (rng: () => number) => boolean },
): GeneratedStats;
