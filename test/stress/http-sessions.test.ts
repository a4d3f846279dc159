import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { httpSessions, latencySummary } from '../../bench/stress/scenarios.mjs';
import { startHttpPerfsop } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp.js';

const SESSIONS = 50;
const SSE_SESSIONS = 5;
const CALLS_EACH = 40;

const log = (line: string) => process.stderr.write(`[http] ${line}\n`);

describe(`${SESSIONS} concurrent Streamable HTTP sessions on one perfsop --http`, () => {
  it(`answers ${CALLS_EACH} calls in each of ${SESSIONS} Streamable HTTP and ${SSE_SESSIONS} SSE sessions, each with its own data`, async () => {
    const home = tempDir();
    // An empty CLAUDE_CONFIG_DIR: token_usage must not read this machine's real transcripts.
    const server = await startHttpPerfsop([], { PERFSOP_HOME: home, CLAUDE_CONFIG_DIR: join(home, 'claude') });
    try {
      const result = await httpSessions({ url: server.url, sessions: SESSIONS, sseSessions: SSE_SESSIONS, callsEach: CALLS_EACH, pid: server.child.pid, log });
      for (const { op, n, p50, p99 } of latencySummary(result.latency)) log(`${op}: ${n} calls, p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms`);
      log(`${result.calls} calls in ${(result.elapsedMs / 1000).toFixed(1)} s; server RSS ${result.rssKb.before} -> ${result.rssKb.after} KiB`);

      expect(result.errors.length, JSON.stringify(result.errors.slice(0, 10), null, 1)).toBe(0);
      expect(result.problems.length, JSON.stringify(result.problems.slice(0, 10), null, 1)).toBe(0);
      expect(result.calls).toBe((SESSIONS + SSE_SESSIONS) * CALLS_EACH);
      expect(server.stderr()).not.toMatch(/failed|error/i);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});
