import { z } from 'zod';
import { InputError } from '../src/errors.js';
import { formatBytes, isoTime, preview } from '../src/format.js';
import {
  DEFAULT_NAMESPACE,
  MAX_KEY_LENGTH,
  MAX_NAMESPACE_LENGTH,
  MAX_TTL_SECONDS,
  NAMESPACE_PATTERN,
  type MemoryStore,
  type MemorySummary,
} from '../src/store/memory.js';
import { defineTool } from '../src/tooling/define-tool.js';
import { inline, type ToolResponse } from '../src/tooling/response.js';

const ACTIONS = ['store', 'retrieve', 'list', 'delete', 'search'] as const;
const PREVIEW_CHARS = 2000;

const input = z.object({
  action: z.enum(ACTIONS).describe('What to do: store (upsert), retrieve, list, delete, or search.'),
  key: z.string().min(1).max(MAX_KEY_LENGTH).optional().describe('Entry key; required for store, retrieve and delete.'),
  value: z
    .string()
    .optional()
    .describe(
      'store: the value to keep (a string; JSON-encode objects and they come back parsed). search: the search text when neither pattern nor query is given.',
    ),
  namespace: z
    .string()
    .min(1)
    .max(MAX_NAMESPACE_LENGTH)
    .regex(NAMESPACE_PATTERN, { message: 'use letters, digits and _ . : / -, starting with a letter or digit' })
    .optional()
    .describe(`Namespace (default "${DEFAULT_NAMESPACE}"). For search, omit it to search every namespace.`),
  ttl: z
    .number()
    .min(0)
    .max(MAX_TTL_SECONDS)
    .optional()
    .describe('store: seconds until the entry expires; 0 or omitted keeps it forever.'),
  pattern: z.string().max(1000).optional().describe('search: words to look for in keys and values; `auth*` style prefixes work.'),
  query: z.string().max(1000).optional().describe('search: same as pattern.'),
  prefix: z.string().max(MAX_KEY_LENGTH).optional().describe('list: only keys starting with this text.'),
  limit: z.number().int().min(1).max(1000).optional().describe('list and search: how many entries to return (list 50, search 10 by default).'),
  offset: z.number().int().min(0).optional().describe('list: entries to skip, for paging (use next_offset).'),
});

const summary = z.object({
  key: z.string(),
  namespace: z.string(),
  size: z.number().int().describe('bytes (UTF-8)'),
  version: z.number().int().describe('1 when created, +1 per update'),
  created_at: z.string(),
  updated_at: z.string(),
  expires_at: z.string().nullable(),
  access_count: z.number().int(),
});

const output = z.object({
  success: z.boolean(),
  action: z.enum(ACTIONS),
  key: z.string().optional(),
  namespace: z.string().optional().describe('absent for a search across every namespace'),
  stored: z.boolean().optional(),
  created: z.boolean().optional().describe('store: true for a new entry, false for an update'),
  id: z.number().int().optional(),
  size: z.number().int().optional(),
  version: z.number().int().optional(),
  expires_at: z.string().nullable().optional(),
  found: z.boolean().optional(),
  value: z
    .union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown()), z.null()])
    .optional()
    .describe('retrieve: the stored string, or the parsed JSON object/array when the string holds one; null when not found'),
  value_type: z.enum(['string', 'json']).optional(),
  created_at: z.string().optional(),
  updated_at: z.string().optional(),
  access_count: z.number().int().optional(),
  deleted: z.boolean().optional(),
  entries: z.array(summary).optional(),
  total: z.number().int().optional(),
  next_offset: z.number().int().nullable().optional(),
  namespaces: z.array(z.object({ namespace: z.string(), entries: z.number().int() })).optional(),
  query: z.string().optional(),
  match: z.enum(['all', 'any', 'everything']).optional().describe('search: all words matched, any word matched, or no words given'),
  results: z
    .array(summary.extend({ score: z.number().nullable().describe('BM25 relevance, higher is better'), snippet: z.string() }))
    .optional(),
  count: z.number().int().optional(),
});

type Args = z.output<typeof input>;
type Output = z.input<typeof output>;

export const memoryUsage = defineTool({
  name: 'memory_usage',
  title: 'Shared memory',
  echoesUserData: true,
  description:
    'Persistent key/value memory shared by every perfsop process on the same database, so agents can hand results to each other. ' +
    'Actions: store (upsert, optional ttl in seconds), retrieve, list (newest first, paged), delete, search (full-text, ranked, with snippets).',
  input,
  output,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  handler(args, response, { app }) {
    const memory = app.memory;
    switch (args.action) {
      case 'store':
        return store(memory, args, response);
      case 'retrieve':
        return retrieve(memory, args, response);
      case 'list':
        return list(memory, args, response);
      case 'delete':
        return remove(memory, args, response);
      case 'search':
        return search(memory, args, response);
    }
  },
});

function requireKey(args: Args): string {
  if (args.key === undefined) throw new InputError('key', `\`key\` is required for action "${args.action}"`);
  return args.key;
}

function store(memory: MemoryStore, args: Args, response: ToolResponse): Output {
  const key = requireKey(args);
  if (args.value === undefined) {
    throw new InputError('value', '`value` is required for action "store"', 'send a string; JSON-encode objects with JSON.stringify');
  }
  const namespace = args.namespace ?? DEFAULT_NAMESPACE;
  const result = memory.store(namespace, key, args.value, args.ttl);
  const expires = isoTime(result.expiresAt);
  response.line(
    `Stored ${inline(key)} in ${inline(namespace)}: ${formatBytes(result.size)}, ` +
      `${result.created ? 'new entry' : `updated to version ${result.version}`}, ${expires ? `expires ${expires}` : 'never expires'}.`,
  );
  return { success: true, action: 'store', key, namespace, stored: true, created: result.created, id: result.id, size: result.size, version: result.version, expires_at: expires };
}

function retrieve(memory: MemoryStore, args: Args, response: ToolResponse): Output {
  const key = requireKey(args);
  const namespace = args.namespace ?? DEFAULT_NAMESPACE;
  const entry = memory.retrieve(namespace, key);
  if (!entry) {
    response.line(`No entry ${inline(key)} in ${inline(namespace)} (never stored, deleted, or expired).`);
    return { success: true, action: 'retrieve', key, namespace, found: false, value: null };
  }
  const parsed = parseJsonContainer(entry.value);
  const shown = preview(entry.value, PREVIEW_CHARS);
  // The times are formatted once, for the text and the structured result alike.
  const fields = summaryFields(entry);
  response
    .line(
      `${inline(key)} in ${inline(namespace)}: ${formatBytes(entry.size)}, version ${entry.version}, ` +
        `read ${entry.accessCount} time(s), updated ${fields.updated_at}${fields.expires_at ? `, expires ${fields.expires_at}` : ''}.`,
    )
    .code(shown.text, parsed === undefined ? '' : 'json');
  if (shown.truncated) {
    response.note(`showing the first ${PREVIEW_CHARS} of ${entry.value.length} characters; the full value is in structuredContent.value`);
  }
  return {
    success: true,
    action: 'retrieve',
    key,
    namespace,
    found: true,
    value: parsed ?? entry.value,
    value_type: parsed === undefined ? 'string' : 'json',
    ...fields,
  };
}

function list(memory: MemoryStore, args: Args, response: ToolResponse): Output {
  const namespace = args.namespace ?? DEFAULT_NAMESPACE;
  const offset = args.offset ?? 0;
  const page = memory.list(namespace, { prefix: args.prefix, limit: args.limit ?? 50, offset });
  const entries = page.entries.map(entrySummary);
  const scope = `${inline(namespace)}${args.prefix ? ` with prefix ${inline(args.prefix)}` : ''}`;
  const result: Output = { success: true, action: 'list', namespace, entries, count: entries.length, total: page.total, next_offset: page.nextOffset };
  if (page.total === 0) {
    const namespaces = memory.namespaces();
    response.line(`No entries in ${scope}.`);
    if (namespaces.length > 0) {
      response.line(`Namespaces with entries: ${namespaces.map((n) => `${inline(n.namespace)} (${n.entries})`).join(', ')}.`);
    }
    return { ...result, namespaces };
  }
  response
    .line(`${scope}: entries ${offset + 1}-${offset + entries.length} of ${page.total}, newest first.`)
    .table(
      ['key', 'size', 'updated', 'expires'],
      entries.map((e) => [e.key, formatBytes(e.size), e.updated_at, e.expires_at]),
    );
  if (page.nextOffset !== null) response.note(`more entries: call again with offset ${page.nextOffset}`);
  return result;
}

function remove(memory: MemoryStore, args: Args, response: ToolResponse): Output {
  const key = requireKey(args);
  const namespace = args.namespace ?? DEFAULT_NAMESPACE;
  const deleted = memory.delete(namespace, key);
  response.line(deleted ? `Deleted ${inline(key)} from ${inline(namespace)}.` : `No entry ${inline(key)} in ${inline(namespace)}; nothing deleted.`);
  return { success: true, action: 'delete', key, namespace, deleted };
}

function search(memory: MemoryStore, args: Args, response: ToolResponse): Output {
  // claude-flow sends the search text in `value`; other clients use `pattern` or `query`.
  const text = args.pattern ?? args.query ?? args.value;
  if (text === undefined) {
    throw new InputError('pattern', '`pattern` (or `query`, or `value`) is required for action "search"', 'send the words to look for, e.g. "checkout bottleneck"; "*" lists the newest entries');
  }
  const outcome = memory.search(text, { namespace: args.namespace, limit: args.limit ?? 10 });
  const results = outcome.hits.map((hit) => ({ ...entrySummary(hit), score: hit.score, snippet: hit.snippet }));
  const scope = args.namespace ? `in ${inline(args.namespace)}` : 'in all namespaces';
  if (outcome.match === 'everything') {
    response.line(`No search words in ${inline(text)}; showing the ${results.length} newest entries ${scope}.`);
  } else if (results.length === 0) {
    response.line(`No entries ${scope} match ${inline(outcome.terms.join(' '))}.`);
  } else {
    const how = outcome.match === 'all' ? 'all words' : 'no entry has all words; ranked by the words each has';
    response.line(`${results.length} match(es) for ${inline(outcome.terms.join(' '))} ${scope} (${how}), best first:`);
  }
  if (results.length > 0) {
    response.table(
      ['namespace', 'key', 'score', 'snippet'],
      results.map((r) => [r.namespace, r.key, r.score, r.snippet]),
    );
    response.note('retrieve a key for its full value');
  }
  return {
    success: true,
    action: 'search',
    ...(args.namespace ? { namespace: args.namespace } : {}),
    query: text,
    match: outcome.match,
    results,
    count: results.length,
  };
}

function summaryFields(entry: MemorySummary) {
  return {
    size: entry.size,
    version: entry.version,
    created_at: isoTime(entry.createdAt),
    updated_at: isoTime(entry.updatedAt),
    expires_at: isoTime(entry.expiresAt),
    access_count: entry.accessCount,
  };
}

function entrySummary(entry: MemorySummary) {
  return { key: entry.key, namespace: entry.namespace, ...summaryFields(entry) };
}

/** Objects and arrays come back parsed; a bare `42` or `"x"` stays the string that was stored. */
function parseJsonContainer(value: string): Record<string, unknown> | unknown[] | undefined {
  const first = value.trimStart()[0];
  if (first !== '{' && first !== '[') return undefined;
  try {
    return JSON.parse(value) as Record<string, unknown> | unknown[];
  } catch {
    return undefined;
  }
}
