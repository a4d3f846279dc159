import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import fc from 'fast-check';

/** A file name the fuzzer hands out in paths that try to escape; none may ever exist afterwards. */
export const ESCAPE_NAME = 'perfsop-fuzz-escape';

/**
 * Hostile values for path-like fields: traversal, absolute paths, home, devices that never end,
 * and names that would land outside the server's temp folders if a tool wrote to them.
 */
export function hostilePaths(repoRoot: string): string[] {
  return [
    '..',
    '../..',
    `../../${ESCAPE_NAME}`,
    `../../../${ESCAPE_NAME}.cpuprofile`,
    `${'../'.repeat(30)}etc/passwd`,
    '/etc/passwd',
    '/etc/shadow',
    '/',
    '~',
    `~/${ESCAPE_NAME}`,
    `/tmp/${ESCAPE_NAME}`,
    `/tmp/${ESCAPE_NAME}.cpuprofile`,
    `${repoRoot}/${ESCAPE_NAME}`,
    '/dev/zero',
    '/dev/urandom',
    '/dev/zero.cpuprofile',
    '/proc/self/environ',
    'C:\\Windows\\win.ini',
    '\\\\server\\share\\x',
    'file:///etc/passwd',
    './\u0000/etc/passwd',
  ];
}

/** URLs a load tool might be pointed at: only closed loopback ports or hosts the policy must refuse. */
export function hostileUrls(closedPorts: number[]): string[] {
  return [
    ...closedPorts.flatMap((port) => [`http://127.0.0.1:${port}/`, `http://127.0.0.1:${port}/a?b=c#d`]),
    'http://example.com/',
    'https://example.com:443/x',
    'http://10.0.0.1/',
    'http://169.254.169.254/latest/meta-data/',
    `http://127.0.0.1@example.com:${closedPorts[0]}/`,
    'http://127.0.0.1.nip.io/',
    'http://localhost:1/',
    'http://[::1]:1/',
    'file:///etc/passwd',
    'ftp://127.0.0.1/',
    'javascript:alert(1)',
    'http://',
    'not a url',
  ];
}

/** JSON nested `depth` levels, which fast-check prints by name (its printer would overflow the stack). */
const deep = (depth: number): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { a: value };
  // A symbol-keyed method: JSON.stringify leaves it out, so the server receives plain nesting.
  return Object.defineProperty(value as object, fc.toStringMethod, { value: () => `<JSON nested ${depth} deep>` });
};

const HUGE = ['x'.repeat(100_000), '\u00e9\u{1F600}'.repeat(40_000), '\u0000'.repeat(150_000)];

/** Strings no field expects: lone surrogates, NUL, control characters, 100 KB+, format-string bait. */
const junkString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', ' ', '\u0000', 'a\u0000b', '\ud800', '\udfff', 'x\ud83d', '\u202e', '%s%n%x', '${process.exit()}', "'; DROP TABLE memory; --", 'NaN', 'Infinity', '-1', '1e309', '__proto__', 'constructor', '*', 'auth*', '"', 'AND OR NOT', 'NEAR(', '^', '-'),
  fc.constantFrom(...HUGE),
);

const junkNumber = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(-1, 0, -0, 0.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2, 2 ** 64, 5e-324, 1e21, 315360001),
);

/** Any JSON value of the wrong shape: the "junk" half of every generated field. */
export function junkValue(paths: string[]): fc.Arbitrary<unknown> {
  return fc.oneof(
    junkString,
    junkNumber,
    fc.boolean(),
    fc.constant(null),
    fc.constantFrom(...paths),
    fc.array(fc.oneof(junkString, junkNumber, fc.constant(null)), { maxLength: 5 }),
    fc.object({ maxDepth: 2, maxKeys: 4 }),
    fc.constantFrom(deep(2_000), deep(50), [[[[]]]], {}, [], JSON.parse('{"__proto__": {"polluted": true}}') as unknown, { constructor: { prototype: { polluted: true } } }),
  );
}

interface PropertySchema {
  type?: string | string[];
  enum?: unknown[];
  anyOf?: PropertySchema[];
  items?: PropertySchema;
  properties?: Record<string, PropertySchema>;
}

/** A plausible value for one inputSchema property, so calls get past validation into the handlers. */
function plausible(schema: PropertySchema, strings: string[], depth = 0): fc.Arbitrary<unknown> {
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map((option) => plausible(option, strings, depth)));
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'integer':
      return fc.oneof(fc.integer({ min: 1, max: 6 }), fc.integer({ min: -3, max: 100_000 }));
    case 'number':
      return fc.oneof(fc.double({ min: 0.01, max: 3, noNaN: true }), fc.double({ min: -10, max: 1e6, noNaN: true }));
    case 'boolean':
      return fc.boolean();
    case 'string':
      return fc.oneof(fc.constantFrom(...strings), fc.string({ maxLength: 12 }));
    case 'array':
      return depth > 2 ? fc.constant([]) : fc.array(plausible(schema.items ?? {}, strings, depth + 1), { maxLength: 3 });
    case 'object':
      if (depth > 2 || !schema.properties) return fc.object({ maxDepth: 1, maxKeys: 3 });
      return fc.record(Object.fromEntries(Object.entries(schema.properties).map(([name, field]) => [name, plausible(field, strings, depth + 1)])), { requiredKeys: [] });
    default:
      return fc.oneof(fc.constantFrom(...strings), fc.integer(), fc.object({ maxDepth: 1, maxKeys: 2 }));
  }
}

export interface GeneratedCall {
  name: string;
  arguments: unknown;
}

/**
 * tools/call requests for every listed tool: the field names of its inputSchema, each with a
 * plausible value (to reach the handler) or junk, plus missing fields, extra fields and
 * arguments that are not an object at all; now and then an unknown tool.
 */
export function toolCalls(tools: Tool[], strings: string[], paths: string[], hints: Record<string, unknown[]>, anchors: Record<string, string[][]> = {}): fc.Arbitrary<GeneratedCall> {
  const junk = junkValue(paths);
  const perTool = tools.map((tool) => {
    const properties = (tool.inputSchema.properties ?? {}) as Record<string, PropertySchema>;
    const names = Object.keys(properties);
    const required = new Set(tool.inputSchema.required ?? []);
    // Values known to work for a field name (a suite that exists, a live URL) reach furthest.
    const hinted = (name: string) => (hints[name] ? [{ arbitrary: fc.constantFrom(...hints[name]), weight: 4 }] : []);
    const field = (name: string, junkWeight: number) =>
      fc.oneof(...hinted(name), { arbitrary: plausible(properties[name]!, strings), weight: 2 }, { arbitrary: junk, weight: junkWeight });
    // Focused: the required fields, one of the tool's anchors (the fields that say what to work
    // on, e.g. benchmark_run's suite, or url with connections under the policy cap) and up to
    // three others, mostly plausible, so calls reach the handler.
    const anchor = anchors[tool.name] ? fc.constantFrom(...anchors[tool.name]!) : fc.constant([]);
    const focused = fc
      .tuple(anchor, fc.subarray(names.filter((name) => !required.has(name)), { maxLength: 3 }))
      .chain(([anchored, chosen]) => fc.record(Object.fromEntries([...new Set([...required, ...anchored, ...chosen])].map((name) => [name, field(name, 1)]))));
    // Wide: any field may be there, junk as often as not, plus fields the schema does not know.
    const wide = fc
      .tuple(
        fc.record(Object.fromEntries(names.map((name) => [name, field(name, 4)])), { requiredKeys: [] }),
        fc.dictionary(fc.oneof(junkString, fc.constantFrom(...names)), junk, { maxKeys: 2 }),
      )
      .map(([known, extra]) => ({ ...extra, ...known }));
    const args = fc.oneof({ arbitrary: focused, weight: 12 }, { arbitrary: wide, weight: 6 }, { arbitrary: junk, weight: 1 });
    return args.map((value) => ({ name: tool.name, arguments: value }));
  });
  const unknownTool = fc.record({ name: fc.oneof(junkString, fc.constant('memory_usage ')), arguments: fc.object({ maxDepth: 1 }) });
  return fc.oneof({ arbitrary: fc.oneof(...perTool), weight: 30 }, { arbitrary: unknownTool, weight: 1 });
}
