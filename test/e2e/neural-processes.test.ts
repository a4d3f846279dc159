import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { outcomes } from '../helpers/learn-data.js';
import { CLI, callOk, connectInMemory } from '../helpers/mcp.js';
import { tempDir } from '../helpers/temp.js';

function perfsop(db: string, ...args: string[]): string {
  const run = spawnSync(process.execPath, [CLI, 'call', ...args], { env: { ...process.env, PERFSOP_DB: db, PERFSOP_HOME: tempDir() }, encoding: 'utf8', timeout: 60_000 });
  expect(run.status, run.stderr + run.stdout).toBe(0);
  return run.stdout;
}

describe('a model trained in one process', () => {
  it('predicts exactly the same in a new process and in this one', async () => {
    const db = join(tempDir(), 'perfsop.db');
    const trained = JSON.parse(perfsop(db, '--json', 'neural_train', JSON.stringify({ pattern_type: 'optimization', training_data: JSON.stringify(outcomes(300)) }))) as { modelId: string };
    const question = { modelId: trained.modelId, input: { bottleneck: 'nested loop matcher in search', category: 'cpu', impact: 80, cpu_ratio: 0.9 } };

    const fromNewProcess = JSON.parse(perfsop(db, '--json', 'neural_predict', JSON.stringify(question))) as { predictions: unknown[]; expected: unknown };
    const connected = await connectInMemory({ dbPath: db });
    try {
      const here = (await callOk(connected.client, 'neural_predict', question)) as { predictions: unknown[]; expected: unknown };
      expect(here.predictions).toEqual(fromNewProcess.predictions);
      expect(here.expected).toEqual(fromNewProcess.expected);
      expect((here.predictions[0] as { value: string }).value).toBe('hash-map');
    } finally {
      await connected.close();
    }
  });
});
