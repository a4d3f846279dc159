import { closeSync, openSync, readSync } from 'node:fs';

/**
 * Reads usage entries out of Claude Code transcript bytes. Most of a transcript is user turns and
 * tool results that carry no usage, so lines are found with Buffer.indexOf and only lines holding
 * the raw bytes `"usage"` are parsed. Inside a JSON string a quote is always escaped, so those
 * bytes only occur as a key or as a whole string value; parsing sorts out the rare value. Runs on
 * the main thread and in scan workers alike.
 */

// Seven bytes, not `"usage":`: Node searches needles shorter than eight bytes with memchr on the
// first byte, which measured 2.4x faster on transcripts than its Boyer-Moore-Horspool path.
const USAGE_MARKER = Buffer.from('"usage"');
const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const CHUNK_BYTES = 8 * 1024 * 1024;

/** Numbers kept per entry in EntryBatch.numbers, in this order. */
export const F_TS = 0;
export const F_INPUT = 1;
export const F_OUTPUT = 2;
export const F_CACHE_CREATION = 3;
export const F_CACHE_CREATION_1H = 4;
export const F_CACHE_READ = 5;
/** costUSD as the transcript gave it; NaN when absent. */
export const F_COST = 6;
export const FIELDS = 7;
/** Names kept per entry in EntryBatch.refs, as indexes into EntryBatch.names. */
export const R_MODEL = 0;
export const R_SESSION = 1;
export const R_PROJECT = 2;
export const REFS = 3;

/** Entries in columns, so a worker can hand them over by transferring two buffers. */
export interface EntryBatch {
  count: number;
  numbers: Float64Array;
  refs: Int32Array;
  /** message.id:requestId (message.id alone without a requestId); null when the line had no message.id. */
  keys: Array<string | null>;
  names: string[];
}

export interface ScanTask {
  path: string;
  /** Byte offset to start at: 0, or where the previous read stopped. */
  start: number;
  /** The file's size when it was listed; bytes written since are left for the next read. */
  end: number;
  /** Used when a line has no sessionId: the file's name. */
  session: string;
  /** Used when a line has no cwd: the folder under projects/. */
  project: string;
}

export interface ScanOutcome {
  path: string;
  /** Offset just past the last complete line read; a half-written last line is left for next time. */
  consumed: number;
  lines: number;
  malformed: number;
  synthetic: number;
  batch: EntryBatch;
  /** Set when the file could not be read (deleted or unreadable since it was listed). */
  error?: string;
}

class BatchBuilder {
  count = 0;
  numbers = new Float64Array(FIELDS * 256);
  refs = new Int32Array(REFS * 256);
  readonly keys: Array<string | null> = [];
  readonly names: string[] = [];
  private readonly nameIndex = new Map<string, number>();
  private readonly byKey = new Map<string, number>();

  add(entry: ParsedEntry): void {
    // Claude Code writes a message once per content block as it streams; within one file the
    // copy with the most tokens wins here, across files the ledger decides the same way.
    let index = entry.key === null ? undefined : this.byKey.get(entry.key);
    if (index !== undefined) {
      const at = index * FIELDS;
      const held = this.numbers[at + F_INPUT]! + this.numbers[at + F_OUTPUT]! + this.numbers[at + F_CACHE_CREATION]! + this.numbers[at + F_CACHE_READ]!;
      if (entry.input + entry.output + entry.cacheCreation + entry.cacheRead <= held) return;
    } else {
      index = this.count++;
      if (index * FIELDS >= this.numbers.length) this.grow();
      this.keys.push(entry.key);
      if (entry.key !== null) this.byKey.set(entry.key, index);
    }
    const at = index * FIELDS;
    this.numbers[at + F_TS] = entry.ts;
    this.numbers[at + F_INPUT] = entry.input;
    this.numbers[at + F_OUTPUT] = entry.output;
    this.numbers[at + F_CACHE_CREATION] = entry.cacheCreation;
    this.numbers[at + F_CACHE_CREATION_1H] = entry.cacheCreation1h;
    this.numbers[at + F_CACHE_READ] = entry.cacheRead;
    this.numbers[at + F_COST] = entry.cost;
    const ref = index * REFS;
    this.refs[ref + R_MODEL] = this.name(entry.model);
    this.refs[ref + R_SESSION] = this.name(entry.session);
    this.refs[ref + R_PROJECT] = this.name(entry.project);
  }

  finish(): EntryBatch {
    return { count: this.count, numbers: this.numbers.slice(0, this.count * FIELDS), refs: this.refs.slice(0, this.count * REFS), keys: this.keys, names: this.names };
  }

  private name(value: string): number {
    let index = this.nameIndex.get(value);
    if (index === undefined) {
      index = this.names.push(value) - 1;
      this.nameIndex.set(value, index);
    }
    return index;
  }

  private grow(): void {
    const numbers = new Float64Array(this.numbers.length * 2);
    numbers.set(this.numbers);
    this.numbers = numbers;
    const refs = new Int32Array(this.refs.length * 2);
    refs.set(this.refs);
    this.refs = refs;
  }
}

interface ParsedEntry {
  ts: number;
  input: number;
  output: number;
  cacheCreation: number;
  cacheCreation1h: number;
  cacheRead: number;
  cost: number;
  key: string | null;
  model: string;
  session: string;
  project: string;
}

type LineKind = 'entry' | 'synthetic' | 'other' | 'malformed';

interface Counters {
  lines: number;
  malformed: number;
  synthetic: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function tokenCount(value: unknown): number | undefined {
  return typeof value === 'number' && value >= 0 && Number.isFinite(value) ? value : undefined;
}

function optionalString(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

const NON_ASCII = /[^\x00-\x7f]/;

/**
 * One candidate line. It is decoded as latin1 first: a one-byte copy that JSON.parse reads about
 * twice as fast as a UTF-8 decode, and bytes >= 0x80 can only sit inside strings. When a field
 * kept from the line is not plain ASCII, the line is parsed again as UTF-8 so names come out right.
 */
function readLine(buf: Buffer, start: number, end: number, task: ScanTask, builder: BatchBuilder): LineKind {
  let entry: ReturnType<typeof toEntry>;
  try {
    entry = toEntry(JSON.parse(buf.toString('latin1', start, end)), task, true);
    if (entry === 'retry-utf8') entry = toEntry(JSON.parse(buf.toString('utf8', start, end)), task, false);
  } catch {
    return 'malformed';
  }
  if (entry === 'retry-utf8') return 'malformed';
  if (typeof entry === 'string') return entry;
  builder.add(entry);
  return 'entry';
}

function toEntry(line: unknown, task: ScanTask, asciiOnly: boolean): ParsedEntry | LineKind | 'retry-utf8' {
  if (!isRecord(line)) return 'malformed';
  const message = line.message;
  // `"usage":` also occurs elsewhere (a subagent's toolUseResult); only message.usage is a model call.
  if (!isRecord(message) || !isRecord(message.usage)) return 'other';
  const usage = message.usage;
  const input = tokenCount(usage.input_tokens);
  const output = tokenCount(usage.output_tokens);
  const ts = typeof line.timestamp === 'string' ? Date.parse(line.timestamp) : NaN;
  if (input === undefined || output === undefined || !Number.isFinite(ts)) return 'malformed';
  const model = optionalString(message.model) ?? 'unknown';
  const id = optionalString(message.id);
  const requestId = optionalString(line.requestId);
  const session = optionalString(line.sessionId);
  const cwd = optionalString(line.cwd);
  if (asciiOnly && [model, id, requestId, session, cwd].some((s) => s !== null && NON_ASCII.test(s))) return 'retry-utf8';
  // Error placeholders Claude Code writes itself; no model was called.
  if (model === '<synthetic>') return 'synthetic';
  // The per-duration split is what is billed (1-hour writes cost more), so it wins when present.
  const split = isRecord(usage.cache_creation) ? usage.cache_creation : undefined;
  const fiveMinutes = tokenCount(split?.ephemeral_5m_input_tokens);
  const oneHour = tokenCount(split?.ephemeral_1h_input_tokens);
  const bySplit = fiveMinutes !== undefined || oneHour !== undefined;
  const cacheCreation = bySplit ? (fiveMinutes ?? 0) + (oneHour ?? 0) : (tokenCount(usage.cache_creation_input_tokens) ?? 0);
  const cost = typeof line.costUSD === 'number' && Number.isFinite(line.costUSD) ? line.costUSD : NaN;
  return {
    ts,
    input,
    output,
    cacheCreation,
    cacheCreation1h: bySplit ? (oneHour ?? 0) : 0,
    cacheRead: tokenCount(usage.cache_read_input_tokens) ?? 0,
    cost,
    key: id === null ? null : requestId === null ? id : `${id}:${requestId}`,
    model,
    session: session ?? task.session,
    project: cwd ?? task.project,
  };
}

function count(kind: LineKind, counters: Counters): void {
  if (kind === 'malformed') counters.malformed++;
  else if (kind === 'synthetic') counters.synthetic++;
}

/**
 * Reads the complete lines of `buf[0, length)`; returns how many bytes they span. At the end of the
 * range (`last`) a final line without a newline counts only if it is a whole JSON value: Claude
 * Code may be halfway through writing it.
 */
function scanLines(buf: Buffer, length: number, last: boolean, task: ScanTask, builder: BatchBuilder, counters: Counters): number {
  const view = buf.subarray(0, length);
  let pos = 0;
  let marker = view.indexOf(USAGE_MARKER, 0);
  while (pos < length) {
    const newline = view.indexOf(NEWLINE, pos);
    if (newline < 0) {
      if (last) return scanTail(view, pos, length, task, builder, counters);
      return pos;
    }
    let end = newline;
    if (end > pos && view[end - 1] === CARRIAGE_RETURN) end--;
    if (end > pos) {
      counters.lines++;
      if (view[pos] !== OPEN_BRACE || view[end - 1] !== CLOSE_BRACE) {
        counters.malformed++;
      } else {
        if (marker >= 0 && marker < pos) marker = view.indexOf(USAGE_MARKER, pos);
        if (marker >= 0 && marker < end) count(readLine(view, pos, end, task, builder), counters);
      }
    }
    pos = newline + 1;
  }
  return pos;
}

function scanTail(view: Buffer, pos: number, length: number, task: ScanTask, builder: BatchBuilder, counters: Counters): number {
  let end = length;
  while (end > pos && (view[end - 1] === CARRIAGE_RETURN || view[end - 1] === 0x20)) end--;
  if (end === pos) return length;
  if (view[pos] !== OPEN_BRACE || view[end - 1] !== CLOSE_BRACE) return pos;
  try {
    JSON.parse(view.toString('latin1', pos, end));
  } catch {
    return pos;
  }
  counters.lines++;
  if (view.indexOf(USAGE_MARKER, pos) >= 0) count(readLine(view, pos, end, task, builder), counters);
  return length;
}

let scratch: Buffer | undefined;

/** Reads `task.path` from `task.start` to `task.end` in chunks; a line longer than a chunk grows the buffer. */
export function scanFile(task: ScanTask): ScanOutcome {
  const builder = new BatchBuilder();
  const counters: Counters = { lines: 0, malformed: 0, synthetic: 0 };
  let pos = task.start;
  let fd: number | undefined;
  try {
    fd = openSync(task.path, 'r');
    scratch ??= Buffer.allocUnsafe(CHUNK_BYTES);
    while (pos < task.end) {
      const want = Math.min(scratch.length, task.end - pos);
      const got = readFully(fd, scratch, want, pos);
      // A file cut short since it was listed ends where its bytes end.
      const last = got < want || pos + got >= task.end;
      const consumed = scanLines(scratch, got, last, task, builder, counters);
      if (consumed === 0 && !last) {
        scratch = Buffer.allocUnsafe(scratch.length * 2);
        continue;
      }
      pos += consumed;
      if (last) break;
    }
  } catch (error) {
    return { path: task.path, consumed: task.start, ...counters, batch: new BatchBuilder().finish(), error: (error as Error).message };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  return { path: task.path, consumed: pos, ...counters, batch: builder.finish() };
}

function readFully(fd: number, buf: Buffer, length: number, position: number): number {
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}
