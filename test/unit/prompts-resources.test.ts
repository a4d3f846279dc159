import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connectInMemory, type Connected } from '../helpers/mcp.js';
import { RunStore } from '../../src/store/runs.js';
import { AnalysisStore } from '../../src/store/analyses.js';

let connected: Connected | undefined;
afterEach(async () => {
  await connected?.close();
  connected = undefined;
});

describe('the sop_perf prompt', () => {
  it('is listed with its arguments and orders the SOP tools for the given component and target', async () => {
    connected = await connectInMemory();
    const { prompts } = await connected.client.listPrompts();
    expect(prompts.map((p) => [p.name, p.arguments?.map((a) => [a.name, a.required])])).toEqual([
      ['sop_perf', [['component', true], ['issue', true], ['target_p95_ms', false]]],
    ]);
    const prompt = await connected.client.getPrompt({ name: 'sop_perf', arguments: { component: 'checkout-service', issue: 'checkout p95 is 1.8 s', target_p95_ms: '300' } });
    const text = (prompt.messages[0]!.content as { text: string }).text;
    expect(text).toContain('checkout p95 is 1.8 s');
    const order = ['benchmark_run {"component": "checkout-service", "label": "before", "p95_ms": 300}', 'bottleneck_analyze', '"baseline": "before"', 'performance_report', 'memory_usage', 'neural_train'];
    const positions = order.map((step) => text.indexOf(step));
    expect(positions.every((p) => p >= 0), JSON.stringify(positions)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it('refuses a missing component or a bad target, naming the argument', async () => {
    connected = await connectInMemory();
    await expect(connected.client.getPrompt({ name: 'sop_perf', arguments: { issue: 'slow' } })).rejects.toThrow(/component/);
    await expect(connected.client.getPrompt({ name: 'sop_perf', arguments: { component: 'a', issue: 'slow', target_p95_ms: 'fast' } })).rejects.toThrow(/target_p95_ms/);
    await expect(connected.client.getPrompt({ name: 'nope' })).rejects.toThrow(/Unknown prompt/);
  });
});

describe('runs and analyses as resources', () => {
  it('lists and reads them by URI, and refuses unknown ones', async () => {
    connected = await connectInMemory();
    const runs = new RunStore(connected.app.db);
    const runId = runs.createRun({ label: 'before', params: {}, host: {} });
    runs.addBenchmark(runId, { name: 'api', type: 'http', target: null, stats: { p50: 1, p95: 2 }, rps: 100, throughputBps: null, requests: 1000, errors: 0, timeouts: 0, non2xx: 0, durationS: 10, iterations: null, histogram: null, thresholds: [], notes: [], extra: null }, []);
    runs.finishRun(runId, 'completed');
    const analyses = new AnalysisStore(connected.app.db);
    const analysisId = analyses.create('svc', {});
    analyses.complete(analysisId, { rps: 5 }, [
      { kind: 'n-plus-one', title: 'N+1 query', category: 'db', priority: 'high', impact: { ms_per_request: 3, share: 0.4, basis: 'x' }, evidence: { count: 12 }, fix: 'batch it' },
    ]);

    const { resources } = await connected.client.listResources();
    expect(resources.map((r) => r.uri)).toEqual(expect.arrayContaining([`perfsop://runs/${runId}`, `perfsop://analyses/${analysisId}`]));
    const run = JSON.parse(((await connected.client.readResource({ uri: `perfsop://runs/${runId}` })).contents[0] as { text: string }).text);
    expect(run).toMatchObject({ id: runId, label: 'before', status: 'completed', benchmarks: [{ name: 'api', rps: 100, stats: { p95: 2 } }] });
    const analysis = JSON.parse(((await connected.client.readResource({ uri: `perfsop://analyses/${analysisId}` })).contents[0] as { text: string }).text);
    expect(analysis.findings).toMatchObject([{ rank: 1, kind: 'n-plus-one', evidence: { count: 12 } }]);

    await expect(connected.client.readResource({ uri: 'perfsop://runs/999' })).rejects.toThrow(/no run 999/);
    await expect(connected.client.readResource({ uri: 'perfsop://secrets/1' })).rejects.toThrow(/unknown resource/);
    const templates = await connected.client.listResourceTemplates();
    expect(templates.resourceTemplates.map((t) => t.uriTemplate)).toEqual(['perfsop://runs/{id}', 'perfsop://analyses/{id}', 'perfsop://artifacts/{path}']);
  });
});

describe('artifact resources cannot escape the artifacts folder', () => {
  it('refuses .., its encodings, absolute paths and symlinks that point outside; reads what is inside', async () => {
    connected = await connectInMemory();
    const artifacts = connected.app.artifactsDir;
    const home = dirname(artifacts);
    // Something worth stealing right next to the artifacts folder, and a file inside it.
    const outside = join(home, 'outside.txt');
    writeFileSync(outside, 'TOP SECRET outside the artifacts folder');
    mkdirSync(join(artifacts, 'run-1'), { recursive: true });
    writeFileSync(join(artifacts, 'run-1', 'svc.log'), 'inside');
    symlinkSync(outside, join(artifacts, 'run-1', 'link.log'));
    symlinkSync(home, join(artifacts, 'run-1', 'up'));
    symlinkSync('/etc', join(artifacts, 'etc'));

    const read = async (path: string) => ((await connected!.client.readResource({ uri: `perfsop://artifacts/${path}` })).contents[0] as { text: string }).text;
    expect(await read('run-1/svc.log')).toBe('inside');

    const escapes = [
      '../outside.txt',
      'run-1/../../outside.txt',
      '%2e%2e/outside.txt',
      '%2E%2E%2Foutside.txt',
      'run-1%2F..%2F..%2Foutside.txt',
      `${outside.split('/').map(encodeURIComponent).join('/')}`,
      encodeURIComponent(outside),
      '/etc/passwd',
      'run-1/link.log',
      'run-1/up/outside.txt',
      'etc/passwd',
    ];
    for (const path of escapes) {
      const attempt = connected.client.readResource({ uri: `perfsop://artifacts/${path}` });
      await expect(attempt, path).rejects.toThrow(/outside the artifacts folder/);
      await attempt.catch((error: Error) => expect(error.message).not.toContain('TOP SECRET'));
    }
    // The answer for a path out of the folder does not depend on whether a file is there.
    const answer = async (path: string) => connected!.client.readResource({ uri: `perfsop://artifacts/${path}` }).then(() => 'read', (error: Error) => error.message.replace(path, '<path>'));
    expect(await answer('../no-such-file.txt')).toBe(await answer('../outside.txt'));
    expect(await answer('../no-such-file.txt')).toMatch(/outside the artifacts folder/);
    // A named pipe inside cannot hang the read (open would wait for a writer).
    execFileSync('mkfifo', [join(artifacts, 'run-1', 'pipe.log')]);
    await expect(read('run-1/pipe.log')).rejects.toThrow(/is not a file/);
    expect(await read('run-1/svc.log')).toBe('inside');
  });
});
