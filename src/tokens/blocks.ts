/**
 * Claude's 5-hour billing blocks, by ccusage's rules: a block starts at the first call after the
 * previous block, floored to the UTC hour, and takes every call until one comes more than five
 * hours after the block's start or after the call before it. A block is active while its last
 * call is under five hours old and its five hours are not over.
 */
export const BLOCK_MS = 5 * 60 * 60 * 1000;
const HOUR_MS = 60 * 60 * 1000;

export interface Block {
  start: number;
  /** start + 5 hours */
  end: number;
  firstCall: number;
  lastCall: number;
  active: boolean;
  /** The block's calls are sorted[from, to). */
  from: number;
  to: number;
}

/** `times` must be sorted ascending. */
export function identifyBlocks(times: ArrayLike<number>, now: number): Block[] {
  const blocks: Block[] = [];
  let from = 0;
  for (let i = 1; i <= times.length; i++) {
    const start = floorToHour(times[from]!);
    const closes = i === times.length || times[i]! - start > BLOCK_MS || times[i]! - times[i - 1]! > BLOCK_MS;
    if (!closes) continue;
    const lastCall = times[i - 1]!;
    blocks.push({
      start,
      end: start + BLOCK_MS,
      firstCall: times[from]!,
      lastCall,
      active: now - lastCall < BLOCK_MS && now < start + BLOCK_MS,
      from,
      to: i,
    });
    from = i;
  }
  return blocks;
}

function floorToHour(ts: number): number {
  return Math.floor(ts / HOUR_MS) * HOUR_MS;
}
