import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI } from '../helpers/mcp.js';
import { tempDir } from '../helpers/temp.js';

function perfsop(args: string[], env: NodeJS.ProcessEnv) {
  return spawnSync(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30_000 });
}

describe('perfsop call', () => {
  const env = { PERFSOP_HOME: tempDir() };

  it('runs one tool in-process and prints its markdown, across separate processes on one database', () => {
    const stored = perfsop(['call', 'memory_usage', '{"action":"store","key":"cli","value":"from the shell"}'], env);
    expect(stored.status).toBe(0);
    expect(stored.stdout).toContain('### Result');
    expect(stored.stdout).toContain('Stored `cli` in `default`');
    const retrieved = perfsop(['call', 'memory_usage', '{"action":"retrieve","key":"cli"}'], env);
    expect(retrieved.status).toBe(0);
    expect(retrieved.stdout).toContain('from the shell');
  });

  it('prints structuredContent with --json', () => {
    perfsop(['call', 'memory_usage', '{"action":"store","key":"j","value":"{\\"a\\":[1,2]}"}'], env);
    const run = perfsop(['call', 'memory_usage', '{"action":"retrieve","key":"j"}', '--json'], env);
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ found: true, value: { a: [1, 2] }, value_type: 'json' });
  });

  it('exits 1 when the tool reports an error, with the error text on stdout', () => {
    const run = perfsop(['call', 'memory_usage', '{"action":"store","key":"k","value":"v","ttl":-1}'], env);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('### Error');
    expect(run.stdout).toContain('`ttl`');
  });

  it('exits 2 on usage errors: bad JSON, unknown tool, unknown command', () => {
    expect(perfsop(['call', 'memory_usage', '{not json'], env)).toMatchObject({ status: 2, stderr: expect.stringContaining('not valid JSON') });
    expect(perfsop(['call', 'memory_usage', '[1]'], env)).toMatchObject({ status: 2, stderr: expect.stringContaining('must be a JSON object') });
    expect(perfsop(['call', 'no_such_tool', '{}'], env)).toMatchObject({ status: 2, stderr: expect.stringContaining('Unknown tool "no_such_tool"') });
    expect(perfsop(['frobnicate'], env)).toMatchObject({ status: 2, stderr: expect.stringContaining('unknown command "frobnicate"') });
  });

  it('uses PERFSOP_DB over PERFSOP_HOME, and --db over both', () => {
    const dir = tempDir();
    const viaEnv = join(dir, 'env.db');
    const viaFlag = join(dir, 'flag.db');
    perfsop(['call', 'memory_usage', '{"action":"store","key":"where","value":"env"}'], { ...env, PERFSOP_DB: viaEnv });
    perfsop(['--db', viaFlag, 'call', 'memory_usage', '{"action":"store","key":"where","value":"flag"}'], { ...env, PERFSOP_DB: viaEnv });
    const fromEnv = perfsop(['call', 'memory_usage', '{"action":"retrieve","key":"where"}', '--json'], { ...env, PERFSOP_DB: viaEnv });
    const fromFlag = perfsop(['--db', viaFlag, 'call', 'memory_usage', '{"action":"retrieve","key":"where"}', '--json'], env);
    expect(JSON.parse(fromEnv.stdout).value).toBe('env');
    expect(JSON.parse(fromFlag.stdout).value).toBe('flag');
  });

  it('prints usage, version, tools and a client config with absolute paths', () => {
    expect(perfsop(['--help'], env).stdout).toContain('perfsop call <tool>');
    expect(perfsop(['--version'], env).stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(perfsop(['tools'], env).stdout).toContain('memory_usage');
    const config = JSON.parse(perfsop(['mcp-config'], env).stdout) as { mcpServers: { perfsop: { command: string; args: string[] } } };
    expect(config.mcpServers.perfsop.command).toBe(process.execPath);
    expect(config.mcpServers.perfsop.args[0]).toBe(CLI);
  });
});
