import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../src/config.js';
import { InputError } from '../../src/errors.js';
import { Policy, type Resolver } from '../../src/policy.js';

const defaults = ConfigSchema.parse({}).policy;
const resolver =
  (table: Record<string, string[]>): Resolver =>
  async (host) =>
    (table[host] ?? []).map((address) => ({ address }));

describe('policy', () => {
  it('allows loopback targets by default and pins names to the address that passed', async () => {
    const policy = new Policy(defaults, resolver({ localhost: ['127.0.0.1', '::1'] }));
    expect(await policy.resolveTarget('url', 'http://127.0.0.1:3000/x')).toEqual({ url: 'http://127.0.0.1:3000/x', hostHeader: undefined });
    expect(await policy.resolveTarget('url', 'http://[::1]:3000/')).toMatchObject({ hostHeader: undefined });
    expect(await policy.resolveTarget('url', 'http://localhost:3000/api?q=1')).toEqual({ url: 'http://127.0.0.1:3000/api?q=1', hostHeader: 'localhost:3000' });
  });

  it('refuses hosts outside allowedHosts, by address or by name', async () => {
    const policy = new Policy(defaults, resolver({ 'example.com': ['93.184.216.34'] }));
    await expect(policy.resolveTarget('url', 'http://10.0.0.1/')).rejects.toThrow(/load to 10\.0\.0\.1 is not allowed by the policy/);
    await expect(policy.resolveTarget('url', 'http://example.com/')).rejects.toThrow(/load to example\.com is not allowed/);
    await expect(policy.resolveTarget('url', 'http://[2001:db8::1]/')).rejects.toThrow(/not allowed/);
  });

  it('refuses an allowed name that resolves to an address outside the list (DNS rebinding)', async () => {
    const policy = new Policy({ ...defaults, allowedHosts: [...defaults.allowedHosts, 'staging.local'] }, resolver({ 'staging.local': ['127.0.0.1', '203.0.113.9'] }));
    await expect(policy.resolveTarget('url', 'http://staging.local/')).rejects.toThrow(/resolves to 203\.0\.113\.9, which is not an allowed address/);
  });

  it('refuses URLs that are not http(s) or carry credentials', async () => {
    const policy = new Policy(defaults);
    await expect(policy.resolveTarget('url', 'file:///etc/passwd')).rejects.toThrow(/only http and https/);
    await expect(policy.resolveTarget('url', 'http://user:pw@127.0.0.1/')).rejects.toThrow(/credentials/);
    await expect(policy.resolveTarget('url', 'not a url')).rejects.toThrow(/not a valid URL/);
  });

  it('refuses ad-hoc commands unless the policy allows them; config commands always run', () => {
    expect(() => new Policy(defaults).assertCommandAllowed('command', 'rm -rf /', false)).toThrow(/ad-hoc commands are not allowed/);
    expect(() => new Policy(defaults).assertCommandAllowed('command', 'node bench.js', true)).not.toThrow();
    expect(() => new Policy({ ...defaults, allowAdhocCommands: true }).assertCommandAllowed('command', 'node x.js', false)).not.toThrow();
  });

  it('caps sizes with an error naming the field and the cap', () => {
    const policy = new Policy(defaults);
    expect(policy.cap('duration', 60, 'maxDuration')).toBe(60);
    const error = (() => {
      try {
        policy.cap('connections', 5000, 'maxConnections');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).field).toBe('connections');
    expect((error as InputError).message).toMatch(/connections 5000 is above the policy cap of 1000/);
  });
});
