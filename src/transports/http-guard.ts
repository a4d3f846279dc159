import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { hostname, networkInterfaces } from 'node:os';

/**
 * The checks the MCP spec asks of an HTTP server, applied to every route before anything else:
 * a Host header naming this server (DNS-rebinding defence), an Origin, when sent, from an allowed
 * page, and the bearer token when one is configured.
 */
export interface GuardOptions {
  host: string;
  port: number;
  token?: string;
  /** Extra `host:port` values to accept, e.g. a reverse proxy's public name. */
  allowedHosts?: string[];
  /** Extra origins to accept, e.g. `http://localhost:6274` for the Inspector's web UI. */
  allowedOrigins?: string[];
}

export type GuardVerdict = { ok: true } | { ok: false; status: 401 | 403; message: string };

export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127(\.\d{1,3}){3}$/.test(bare);
}

export class HttpGuard {
  private readonly hosts: Set<string>;
  private readonly origins: Set<string>;
  private readonly tokenDigest: Buffer | undefined;

  constructor(options: GuardOptions) {
    const names = hostNames(options.host);
    this.hosts = new Set([...names.map((name) => `${name}:${options.port}`), ...(options.allowedHosts ?? [])].map((h) => h.toLowerCase()));
    this.origins = new Set(
      [...names.flatMap((name) => [`http://${name}:${options.port}`, `https://${name}:${options.port}`]), ...(options.allowedOrigins ?? [])].map((o) =>
        o.toLowerCase().replace(/\/$/, ''),
      ),
    );
    this.tokenDigest = options.token ? digest(options.token) : undefined;
  }

  check(req: IncomingMessage): GuardVerdict {
    const host = req.headers.host?.toLowerCase();
    if (!host || !this.hosts.has(host)) {
      return { ok: false, status: 403, message: `Forbidden: Host header ${JSON.stringify(req.headers.host ?? '')} is not allowed` };
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !this.origins.has(origin.toLowerCase())) {
      return { ok: false, status: 403, message: `Forbidden: Origin ${JSON.stringify(origin)} is not allowed` };
    }
    if (this.tokenDigest) {
      const match = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
      // Compare digests so neither the length nor the content of the token leaks through timing.
      if (!match?.[1] || !timingSafeEqual(digest(match[1].trim()), this.tokenDigest)) {
        return { ok: false, status: 401, message: 'Unauthorized: send "Authorization: Bearer <token>" (PERFSOP_TOKEN)' };
      }
    }
    return { ok: true };
  }
}

// The names a legitimate client may use for this server: loopback aliases, or for a wildcard
// bind every address of this machine. Anything else in Host is a rebinding attempt.
function hostNames(host: string): string[] {
  if (isLoopback(host)) return ['127.0.0.1', 'localhost', '[::1]'];
  if (host === '0.0.0.0' || host === '::') {
    const addresses = Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((nic) => bracket(nic.address)));
    return ['localhost', hostname(), ...addresses];
  }
  return [bracket(host)];
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function bracket(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
