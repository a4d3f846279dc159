import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { connectInMemory, textOf, type Connected } from '../helpers/mcp.js';

/**
 * What test/stress/fuzz.test.ts found, each kept as the smallest call that showed it. Each used
 * to end in "Internal error in <tool>: its result did not match the declared output schema"
 * (or an unexpected exception) instead of a clear answer about the argument.
 */
let connected: Connected | undefined;
afterEach(async () => {
  await connected?.close();
  connected = undefined;
});

async function call(name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  connected ??= await connectInMemory();
  return (await connected.client.callTool({ name, arguments: args })) as CallToolResult;
}

/** Either a result or a clear refusal of the named argument; never an internal error. */
function expectAnsweredOrRefused(result: CallToolResult, field: string): void {
  const text = textOf(result);
  expect(text).not.toMatch(/Internal error|perfsop bug|failed:/);
  if (result.isError) expect(text).toContain(field);
}

describe('token_usage record at the limits', () => {
  it('refuses token counts whose sum leaves the safe integer range', async () => {
    const max = Number.MAX_SAFE_INTEGER;
    const result = await call('token_usage', { action: 'record', usage: { model: 'claude-sonnet-4-5', input_tokens: max, output_tokens: max } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('usage');
    expect(textOf(result)).not.toMatch(/Internal error/);
  });

  it('refuses stated costs whose sum overflows to Infinity', async () => {
    const result = await call('token_usage', { action: 'record', usage: [1, 2].map(() => ({ model: 'claude-sonnet-4-5', input_tokens: 1, cost_usd: 1e308 })) });
    expectAnsweredOrRefused(result, 'cost_usd');
  });

  it('refuses a timestamp no Date can hold, so a later report can still print it', async () => {
    const result = await call('token_usage', { action: 'record', usage: { model: 'claude-sonnet-4-5', input_tokens: 1, timestamp: 1e300 } });
    expectAnsweredOrRefused(result, 'timestamp');
    expectAnsweredOrRefused(await call('token_usage', { timeframe: 'all', timezone: 'UTC' }), 'timeframe');
  });
});
