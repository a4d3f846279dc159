import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Lines as Claude Code writes them to `projects/<project>/<session>.jsonl`: compact JSON, one object each. */

export interface Call {
  ts: string;
  /** message.id; null leaves it out. */
  id: string | null;
  /** requestId; null leaves it out. */
  requestId?: string | null;
  model: string;
  input: number;
  output: number;
  cacheCreation?: number;
  /** Part of cacheCreation written to the 1-hour cache (adds the cache_creation split). */
  cacheCreation1h?: number;
  cacheRead?: number;
  costUSD?: number;
  /** null leaves sessionId out. */
  session?: string | null;
  /** null leaves cwd out. */
  cwd?: string | null;
}

export function assistant(call: Call): string {
  const usage: Record<string, unknown> = {
    input_tokens: call.input,
    cache_creation_input_tokens: call.cacheCreation ?? 0,
    cache_read_input_tokens: call.cacheRead ?? 0,
    output_tokens: call.output,
  };
  if (call.cacheCreation1h !== undefined) {
    usage.cache_creation = { ephemeral_5m_input_tokens: (call.cacheCreation ?? 0) - call.cacheCreation1h, ephemeral_1h_input_tokens: call.cacheCreation1h };
  }
  return JSON.stringify({
    parentUuid: null,
    isSidechain: false,
    ...(call.cwd === null ? {} : { cwd: call.cwd ?? '/work/alpha' }),
    ...(call.session === null ? {} : { sessionId: call.session ?? 'session-1' }),
    message: {
      ...(call.id === null ? {} : { id: call.id }),
      type: 'message',
      role: 'assistant',
      model: call.model,
      content: [{ type: 'text', text: 'Here is the "usage" of the API: {"input_tokens": 999}' }],
      stop_reason: 'end_turn',
      usage,
    },
    ...(call.requestId === null || call.requestId === undefined ? {} : { requestId: call.requestId }),
    type: 'assistant',
    uuid: `u-${call.id ?? 'none'}-${call.output}`,
    timestamp: call.ts,
    ...(call.costUSD === undefined ? {} : { costUSD: call.costUSD }),
  });
}

/**
 * A user turn with a tool result that quotes usage JSON inside a string, and a subagent result
 * whose own `usage` key is not a model call of this session: neither may be counted.
 */
export function user(ts: string, session = 'session-1', cwd = '/work/alpha'): string {
  return JSON.stringify({
    parentUuid: null,
    cwd,
    sessionId: session,
    type: 'user',
    message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'log: {"usage": {"input_tokens": 5000, "output_tokens": 5000}}' }] },
    toolUseResult: { usage: { input_tokens: 7000, output_tokens: 7000 }, totalTokens: 14000 },
    timestamp: ts,
  });
}

export function transcriptPath(root: string, project: string, session: string): string {
  return join(root, 'projects', project, `${session}.jsonl`);
}

export function writeTranscript(path: string, lines: readonly string[]): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, lines.map((line) => `${line}\n`).join(''));
}

/** Appends raw text (lines with their newlines, or a partial line); returns the bytes appended. */
export function append(path: string, text: string): number {
  appendFileSync(path, text);
  return Buffer.byteLength(text);
}
