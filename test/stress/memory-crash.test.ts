import Database from 'better-sqlite3';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_NAMESPACE } from '../../src/store/memory.js';
import { CLI } from '../helpers/mcp.js';
import { waitForExit } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp.js';

/**
 * `kill -9` of perfsop in the middle of a burst of memory_usage stores, sent pipelined as raw
 * JSON-RPC lines on its stdin (a client that does not wait for one answer before the next request,
 * as several agents sharing one server do). Every store perfsop acknowledged must survive: an
 * answer is a promise that the entry is committed, and a crash may lose only what was not answered.
 */

const STORES = 10_000;
const KILL_AFTER_ACKS = 3000;
const IN_FLIGHT = 64;

let perfsop: ChildProcess | undefined;
afterEach(async () => {
  if (perfsop && perfsop.exitCode === null && perfsop.signalCode === null) {
    perfsop.kill('SIGKILL');
    await waitForExit(perfsop);
  }
  perfsop = undefined;
});

function line(message: object): string {
  return `${JSON.stringify(message)}\n`;
}

describe('kill -9 during a burst of 10,000 memory stores', () => {
  it('keeps the database intact and every acknowledged store with its value', async () => {
    const home = tempDir();
    const dbPath = join(home, 'burst.db');
    const env = { ...process.env, PERFSOP_HOME: home, PERFSOP_DB: dbPath, PERFSOP_LOG_LEVEL: 'warn', CLAUDE_CONFIG_DIR: join(home, 'claude') };
    const child = spawn(process.execPath, [CLI], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    perfsop = child;
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    // Writes to a pipe whose reader was killed fail with EPIPE; that is the point of the test.
    child.stdin!.on('error', () => {});

    const salt = randomBytes(6).toString('hex');
    const valueOf = (i: number) => `value ${i} ${salt} ${'x'.repeat(i % 200)}`;
    const acked = new Map<number, string>();
    const failures: string[] = [];
    let initialized!: () => void;
    const ready = new Promise<void>((resolve) => (initialized = resolve));
    let killedAt: number | undefined;
    let truncated = 0;
    let next = 1;
    // Pipelined with a window: always IN_FLIGHT requests perfsop has not answered yet. Not all
    // 10,000 at once: perfsop then runs thousands of commits ahead of the answers this side has
    // read, so a kill only ever loses unanswered stores and a store acknowledged before its commit
    // (write-behind) would go unnoticed. With a window the answers stay close to the commits.
    const sendNext = () => {
      if (next > STORES || killedAt !== undefined) return;
      child.stdin!.write(line({ jsonrpc: '2.0', id: next, method: 'tools/call', params: { name: 'memory_usage', arguments: { action: 'store', key: `k${next}`, value: valueOf(next) } } }));
      next += 1;
    };

    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (text) => {
      let message: { id?: number; result?: { isError?: boolean; structuredContent?: { stored?: boolean; key?: string } }; error?: unknown };
      try {
        message = JSON.parse(text) as typeof message;
      } catch {
        // The kill can cut the last answer short: an answer not received whole is no acknowledgement.
        truncated += 1;
        return;
      }
      if (message.id === 0) return initialized();
      if (typeof message.id !== 'number') return;
      sendNext();
      const content = message.result?.structuredContent;
      if (message.result?.isError || message.error || content?.stored !== true || content.key !== `k${message.id}`) {
        failures.push(text.slice(0, 300));
        return;
      }
      acked.set(message.id, content.key);
      if (acked.size >= KILL_AFTER_ACKS && killedAt === undefined) {
        killedAt = acked.size;
        child.kill('SIGKILL');
      }
    });
    const ended = new Promise<void>((resolve) => lines.once('close', () => resolve()));

    child.stdin!.write(line({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'burst', version: '0.0.0' } } }));
    const handshake = await Promise.race([ready.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 30_000))]);
    expect(handshake, `perfsop did not answer initialize within 30 s: ${stderr}`).toBe(true);
    child.stdin!.write(line({ jsonrpc: '2.0', method: 'notifications/initialized' }));
    for (let i = 0; i < IN_FLIGHT; i++) sendNext();

    const finished = await Promise.race([ended.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 120_000))]);
    expect(finished, `perfsop's output did not end within 120 s (${acked.size} acks): ${stderr}`).toBe(true);
    await waitForExit(child);
    expect(failures, 'stores answered with an error before the kill').toEqual([]);
    expect(truncated).toBeLessThanOrEqual(1);
    expect(killedAt, `perfsop ended before ${KILL_AFTER_ACKS} acks (${acked.size}): ${stderr}`).toBeDefined();
    expect(child.signalCode).toBe('SIGKILL');
    // Not all of them: the kill must have landed mid-burst for the test to mean anything.
    expect(acked.size).toBeLessThan(STORES);

    // A new perfsop opens the crashed database (recovering its WAL) and answers from it.
    const last = Math.max(...acked.keys());
    const retrieve = spawnSync(process.execPath, [CLI, 'call', 'memory_usage', JSON.stringify({ action: 'retrieve', key: `k${last}` }), '--json'], { env, encoding: 'utf8', timeout: 60_000 });
    expect(retrieve.status, retrieve.stderr).toBe(0);
    expect(JSON.parse(retrieve.stdout)).toMatchObject({ found: true, value: valueOf(last) });

    const db = new Database(dbPath);
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const stored = new Map(
        (db.prepare('SELECT key, value FROM memory WHERE namespace = ?').all(DEFAULT_NAMESPACE) as Array<{ key: string; value: string }>).map((r) => [r.key, r.value]),
      );
      const lost = [...acked.keys()].filter((i) => stored.get(`k${i}`) !== valueOf(i));
      expect(lost, `${lost.length} of ${acked.size} acknowledged stores are missing or wrong`).toEqual([]);
      // Nothing was invented either: every row is one this test sent, with its value.
      for (const [key, value] of stored) expect(value).toBe(valueOf(Number(key.slice(1))));
      console.log(`memory burst: ${acked.size} of ${STORES} stores acknowledged before the kill took effect, ${stored.size} rows on disk`);
    } finally {
      db.close();
    }
  });
});
