import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../src/config.js';
import { callOk, connectInMemory } from '../helpers/mcp.js';
import { REDACTED, StreamRedactor, redact, redactDeep, redactHeaders, registerSecret, registerSecretEnv } from '../../src/secrets.js';

// The registry is per process: every test uses fresh random values so none depends on another.
const fresh = (prefix = 's') => `${prefix}${randomBytes(9).toString('hex')}`;

describe('secret values', () => {
  it('takes env values listed in secretEnv, and those whose name looks secret, and nothing else', () => {
    const [listed, key, password, token, plain] = [fresh(), fresh(), fresh(), fresh(), fresh()];
    registerSecretEnv({ FEATURE_SEED: listed, API_KEY: key, DB_PASSWORD: password, GITHUB_TOKEN: token, PLAIN: plain }, ['FEATURE_SEED']);
    for (const value of [listed, key, password, token]) expect(redact(`x ${value} y`)).toBe(`x ${REDACTED} y`);
    expect(redact(`x ${plain} y`)).toBe(`x ${plain} y`);
  });

  it('redacts credential header values, and the bare token of "Bearer <token>"', () => {
    const [bearer, apiKey, cookie] = [fresh(), fresh(), fresh()];
    const stored = redactHeaders({ Authorization: `Bearer ${bearer}`, 'X-Api-Key': apiKey, Cookie: `sid=${cookie}`, 'X-Trace': 'visible' });
    expect(stored).toEqual({ Authorization: REDACTED, 'X-Api-Key': REDACTED, Cookie: REDACTED, 'X-Trace': 'visible' });
    expect(redact(`token was ${bearer}; key ${apiKey}; cookie sid=${cookie}`)).not.toMatch(new RegExp(`${bearer}|${apiKey}|${cookie}`));
  });

  it('leaves values too short to be told apart from ordinary text', () => {
    registerSecret('true');
    expect(redact('it is true')).toBe('it is true');
  });

  it('redacts strings and keys deep inside a result, leaving numbers and booleans alone', () => {
    const value = fresh();
    registerSecret(value);
    expect(redactDeep({ a: [`${value}!`, 3, true, null], [value]: { b: value } })).toEqual({ a: [`${REDACTED}!`, 3, true, null], [REDACTED]: { b: REDACTED } });
  });

  it('redacts a stream even when a secret is split across chunks, at every split point', () => {
    const value = fresh();
    registerSecret(value);
    const text = `start ${value} middle ${value}${value} end`;
    for (let cut = 0; cut <= text.length; cut++) {
      for (const step of [1, 3, 7]) {
        const redactor = new StreamRedactor();
        let out = redactor.push(text.slice(0, cut));
        for (let i = cut; i < text.length; i += step) out += redactor.push(text.slice(i, i + step));
        out += redactor.end();
        expect(out, `cut ${cut} step ${step}`).toBe(`start ${REDACTED} middle ${REDACTED}${REDACTED} end`);
      }
    }
  });

  it('accepts secretEnv in the config, per component and per command benchmark', () => {
    const config = ConfigSchema.parse({
      components: { api: { url: 'http://127.0.0.1:3000', env: { SEED: 'x' }, secretEnv: ['SEED'] } },
      suites: { s: { benchmarks: [{ name: 'c', type: 'command', command: 'true', env: { SEED: 'y' }, secretEnv: ['SEED'] }] } },
    });
    expect(config.components.api!.secretEnv).toEqual(['SEED']);
    expect(config.policy.maxArtifactBytes).toBe(256 * 1024 * 1024);
  });

  it("leaves memory_usage values, the user's own data, as stored", async () => {
    const value = fresh();
    registerSecret(value);
    const connected = await connectInMemory();
    try {
      await callOk(connected.client, 'memory_usage', { action: 'store', key: 'k', value: `kept ${value}` });
      expect(await callOk(connected.client, 'memory_usage', { action: 'retrieve', key: 'k' })).toMatchObject({ value: `kept ${value}` });
    } finally {
      await connected.close();
    }
  });
});
