/**
 * Values perfsop must never write or answer: component and command-benchmark environment variables
 * marked secret (`secretEnv`, or a name that looks like one), credential headers of a load, and
 * the HTTP bearer token. Every value registered here is replaced by REDACTED in tool results,
 * progress messages, stderr logs, stored rows and captured service logs.
 *
 * The registry is per process, not per session: a secret seen by one session must not appear in
 * what another session reads back either (runs and analyses are shared through the database).
 */

export const REDACTED = '[redacted]';

/** Environment variable names treated as secret without being listed in `secretEnv`. */
export const SECRET_NAME = /(secret|token|password|passw|api[_-]?key|credential|private[_-]?key)/i;

/** Header names that carry credentials; their values are secrets whatever the config says. */
export const SECRET_HEADER = /^(authorization|proxy-authorization|cookie|set-cookie|x-api-key|api-key|x-auth-token)$/i;

/**
 * Shorter values are not redacted: replacing "1" or "true" everywhere would garble every answer
 * and protect nothing a guess would not find.
 */
export const MIN_SECRET_LENGTH = 6;

/** A bound on distinct values kept, so a client sending a fresh token per call cannot grow it forever. */
const MAX_VALUES = 10_000;

const values = new Set<string>();
let pattern: RegExp | undefined;
let longest = 0;

export function registerSecret(value: string | undefined): void {
  if (value === undefined || value.length < MIN_SECRET_LENGTH || values.has(value)) return;
  if (values.size >= MAX_VALUES) values.delete(values.values().next().value!);
  values.add(value);
  pattern = undefined;
}

/** Registers the values of the variables in `env` that are listed in `names` or look secret by name. */
export function registerSecretEnv(env: Readonly<Record<string, string | undefined>>, names: readonly string[] = []): void {
  const listed = new Set(names);
  for (const [name, value] of Object.entries(env)) {
    if (listed.has(name) || SECRET_NAME.test(name)) registerSecret(value);
  }
}

export function isSecretHeader(name: string): boolean {
  return SECRET_HEADER.test(name) || SECRET_NAME.test(name);
}

/** Registers the values of credential headers; returns the headers with those values replaced. */
export function redactHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => {
      if (!isSecretHeader(name)) return [name, value];
      registerSecret(value);
      // "Bearer <token>": the token alone is the secret, and may appear without the scheme.
      registerSecret(/^\s*\S+\s+(\S+)\s*$/.exec(value)?.[1]);
      return [name, REDACTED];
    }),
  );
}

/**
 * A tool call as stored: credential header values are replaced, and registered so that no answer,
 * log line or captured output echoes them either.
 */
export function redactRequest<T extends { headers?: Record<string, string>; requests?: Array<{ headers?: Record<string, string> }> }>(request: T): T {
  return {
    ...request,
    ...(request.headers ? { headers: redactHeaders(request.headers) } : {}),
    ...(request.requests ? { requests: request.requests.map((r) => ({ ...r, ...(r.headers ? { headers: redactHeaders(r.headers) } : {}) })) } : {}),
  };
}

/** The longest registered value, so a stream redactor knows how much to hold back. */
export function longestSecret(): number {
  compiled();
  return longest;
}

function compiled(): RegExp | undefined {
  if (values.size === 0) return undefined;
  if (!pattern) {
    // Longest first, so a secret that contains another is replaced whole.
    const sorted = [...values].sort((a, b) => b.length - a.length);
    longest = sorted[0]!.length;
    pattern = new RegExp(sorted.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
  }
  return pattern;
}

export function redact(text: string): string {
  const re = compiled();
  return re ? text.replace(re, REDACTED) : text;
}

/** `value` with every string in it (keys included) redacted; other values are returned as they are. */
export function redactDeep<T>(value: T): T {
  if (!compiled()) return value;
  return walk(value) as T;
}

function walk(value: unknown): unknown {
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map(walk);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [redact(k), walk(v)]));
  }
  return value;
}

/**
 * Redacts a stream of text written in chunks, where a secret may be split between two chunks:
 * the last `longest - 1` characters are held back until the next chunk or the end.
 */
export class StreamRedactor {
  private carry = '';

  push(chunk: string): string {
    const text = redact(this.carry + chunk);
    const hold = Math.max(0, longestSecret() - 1);
    const cut = Math.max(0, text.length - hold);
    this.carry = text.slice(cut);
    return text.slice(0, cut);
  }

  end(): string {
    const rest = redact(this.carry);
    this.carry = '';
    return rest;
  }
}
