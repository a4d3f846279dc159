import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_VALUE_BYTES, loadConfig } from '../../src/config.js';
import { databasePath, perfsopHome } from '../../src/paths.js';
import { tempDir } from '../helpers/temp.js';

describe('configuration and paths', () => {
  it('uses defaults when no config file exists', () => {
    const config = loadConfig(undefined, { PERFSOP_CONFIG: undefined });
    expect(config.memory.maxValueBytes).toBe(DEFAULT_MAX_VALUE_BYTES);
    expect(config.policy.allowAdhocCommands).toBe(false);
  });

  it('names the offending path of an invalid config file', () => {
    const path = join(tempDir(), 'perfsop.config.json');
    writeFileSync(path, JSON.stringify({ memory: { maxValueBytes: -1 } }));
    expect(() => loadConfig(path, {})).toThrow(/memory\.maxValueBytes/);
    writeFileSync(path, '{ not json');
    expect(() => loadConfig(path, {})).toThrow(/is not valid JSON/);
    expect(() => loadConfig(join(tempDir(), 'missing.json'), {})).toThrow(/config file not found/);
  });

  it('lets PERFSOP_MAX_VALUE_BYTES override the file and rejects nonsense', () => {
    const path = join(tempDir(), 'perfsop.config.json');
    writeFileSync(path, JSON.stringify({ memory: { maxValueBytes: 2048 } }));
    expect(loadConfig(path, {}).memory.maxValueBytes).toBe(2048);
    expect(loadConfig(path, { PERFSOP_MAX_VALUE_BYTES: '100' }).memory.maxValueBytes).toBe(100);
    expect(() => loadConfig(path, { PERFSOP_MAX_VALUE_BYTES: 'lots' })).toThrow(/PERFSOP_MAX_VALUE_BYTES|positive integer/);
  });

  it('puts the database at PERFSOP_DB, else under PERFSOP_HOME, else ~/.perfsop', () => {
    expect(databasePath({ PERFSOP_DB: '/tmp/x/my.db' })).toBe('/tmp/x/my.db');
    expect(databasePath({ PERFSOP_HOME: '/tmp/home' })).toBe('/tmp/home/perfsop.db');
    expect(perfsopHome({})).toMatch(/\.perfsop$/);
  });
});
