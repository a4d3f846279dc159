import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { PolicyConfig } from './config.js';
import { InputError } from './errors.js';

/**
 * What perfsop may run and where it may send load. A model choosing the arguments can be wrong or
 * manipulated, so every command and every target passes through here first.
 */
type CapName = 'maxDuration' | 'maxConnections' | 'maxIterations' | 'maxAmount' | 'maxWorkers';

export type Resolver = (host: string) => Promise<Array<{ address: string }>>;

export class Policy {
  constructor(
    private readonly policy: PolicyConfig,
    /** DNS lookup; tests substitute one to play a name that resolves elsewhere. */
    private readonly resolve: Resolver = (host) => lookup(host, { all: true }),
  ) {}

  /** Commands named in perfsop.config.json always may run; anything else only with allowAdhocCommands. */
  assertCommandAllowed(field: string, command: string, fromConfig: boolean): void {
    if (fromConfig || this.policy.allowAdhocCommands) return;
    throw new InputError(
      field,
      `ad-hoc commands are not allowed by the policy: "${command.slice(0, 200)}"`,
      'name the command in perfsop.config.json (a component or a command benchmark), or set policy.allowAdhocCommands to true',
    );
  }

  /** Throws when `value` is above the policy's cap for `field`. */
  cap(field: string, value: number, capName: CapName): number {
    const max = this.policy[capName];
    if (value > max) {
      throw new InputError(field, `${field} ${value} is above the policy cap of ${max}`, `lower it, or raise policy.${capName} in perfsop.config.json`);
    }
    return value;
  }

  /**
   * A default no one asked for, lowered to the cap: a policy stricter than perfsop's defaults must
   * not turn a call that set nothing into an error about a field it never sent.
   */
  defaultWithin(value: number, capName: CapName): number {
    return Math.min(value, this.policy[capName]);
  }

  /**
   * Checks that load may go to `url`, and pins it to an address that passed: a name is resolved
   * here and autocannon is pointed at the address with the original Host header, so a DNS answer
   * that changes between the check and the load (rebinding) cannot redirect it elsewhere.
   */
  async resolveTarget(field: string, url: string): Promise<{ url: string; hostHeader: string | undefined }> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new InputError(field, `not a valid URL: "${url.slice(0, 200)}"`, 'send an absolute URL such as http://127.0.0.1:3000/api');
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new InputError(field, `only http and https targets are supported, got ${parsed.protocol}`);
    }
    if (parsed.username || parsed.password) throw new InputError(field, 'credentials in the URL are not allowed; send them as headers');
    const host = parsed.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    const allowed = new Set(this.policy.allowedHosts.map((h) => h.replace(/^\[|\]$/g, '').toLowerCase()));
    const refuse = (detail: string) =>
      new InputError(
        field,
        `load to ${host} is not allowed by the policy${detail}; allowed hosts: ${[...allowed].join(', ')}`,
        'perfsop only loads hosts listed in policy.allowedHosts (loopback by default); add the host there if you own it',
      );
    if (isIP(host)) {
      if (!addressAllowed(host, allowed)) throw refuse('');
      return { url: parsed.toString(), hostHeader: undefined };
    }
    if (!allowed.has(host)) throw refuse('');
    let addresses: Array<{ address: string }>;
    try {
      addresses = await this.resolve(host);
    } catch (error) {
      throw new InputError(field, `cannot resolve ${host}: ${(error as Error).message}`);
    }
    const outside = addresses.filter((a) => !addressAllowed(a.address, allowed));
    if (addresses.length === 0 || outside.length > 0) {
      throw refuse(` (it resolves to ${outside.map((a) => a.address).join(', ') || 'nothing'}, which is not an allowed address)`);
    }
    // Prefer IPv4: most local services listen on 127.0.0.1 only.
    const chosen = addresses.find((a) => isIP(a.address) === 4) ?? addresses[0]!;
    const hostHeader = parsed.host;
    parsed.hostname = isIP(chosen.address) === 6 ? `[${chosen.address}]` : chosen.address;
    return { url: parsed.toString(), hostHeader };
  }
}

function addressAllowed(address: string, allowed: ReadonlySet<string>): boolean {
  const normalized = address.toLowerCase().replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
  if (allowed.has(normalized)) return true;
  // The whole 127/8 block is this machine's loopback; allowing 127.0.0.1 or localhost allows it.
  const loopbackAllowed = allowed.has('127.0.0.1') || allowed.has('localhost');
  if (/^127\./.test(normalized)) return loopbackAllowed;
  if (normalized === '::1') return allowed.has('::1') || allowed.has('localhost');
  return false;
}
