import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join, relative, resolve, sep } from 'node:path';
import type { EventRow, FileState, TokenStore, TokenWriter } from '../store/tokens.js';
import type { Ledger } from './ledger.js';
import { scanAll } from './scan-pool.js';
import {
  FIELDS,
  F_CACHE_CREATION,
  F_CACHE_CREATION_1H,
  F_CACHE_READ,
  F_COST,
  F_INPUT,
  F_OUTPUT,
  F_TS,
  REFS,
  R_MODEL,
  R_PROJECT,
  R_SESSION,
  type EntryBatch,
  type ScanOutcome,
  type ScanTask,
} from './scan.js';

/**
 * Claude Code transcripts: where they are (as ccusage finds them) and incremental ingestion into
 * the store and the ledger. A file already read is not read again; a file that grew is read from
 * where the last read stopped; a file that shrank or whose first bytes changed was rewritten and
 * is read again from the start, replacing what it gave before. Entries of files Claude Code has
 * since deleted (it cleans up after 30 days by default) stay: the history outlives the transcripts.
 */

/** Enough of a file's start to tell a rewrite from an append. */
const HEAD_BYTES = 4096;

export interface ClaudeDirs {
  /** Folders with a `projects` subfolder, in the order given. */
  dirs: string[];
  /** Every folder considered, for the message when none has transcripts. */
  looked: string[];
}

/** `CLAUDE_CONFIG_DIR` (a comma-separated list), else `~/.config/claude` (XDG) and `~/.claude`. */
export function claudeDirs(env: NodeJS.ProcessEnv): ClaudeDirs {
  const listed = (env.CLAUDE_CONFIG_DIR ?? '')
    .split(',')
    .map((dir) => dir.trim())
    .filter(Boolean);
  const home = env.HOME || homedir();
  const looked = (listed.length > 0 ? listed : [join(env.XDG_CONFIG_HOME || join(home, '.config'), 'claude'), join(home, '.claude')]).map((dir) => resolve(dir));
  const seen = new Set<string>();
  const dirs: string[] = [];
  for (const dir of looked) {
    if (!existsSync(join(dir, 'projects'))) continue;
    const real = realpathSync(dir);
    if (seen.has(real)) continue;
    seen.add(real);
    dirs.push(dir);
  }
  return { dirs, looked };
}

export interface TranscriptFile {
  path: string;
  size: number;
  mtimeMs: number;
  /** The folder under projects/ (Claude Code's encoded project path). */
  project: string;
  /** The file name without .jsonl: Claude Code names a session's file after its id. */
  session: string;
}

/** Every `projects/**\/*.jsonl` under the given folders; links are not followed, so a loop cannot trap the walk. */
export function listTranscripts(dirs: readonly string[]): TranscriptFile[] {
  const files: TranscriptFile[] = [];
  for (const dir of dirs) {
    const projects = join(dir, 'projects');
    const walk = (folder: string) => {
      for (const entry of readdirSync(folder, { withFileTypes: true })) {
        const path = join(folder, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.isFile() && entry.name.endsWith('.jsonl')) {
          let stats;
          try {
            stats = statSync(path);
          } catch {
            continue; // deleted between listing and stat
          }
          files.push({ path, size: stats.size, mtimeMs: stats.mtimeMs, project: relative(projects, path).split(sep)[0]!, session: basename(entry.name, '.jsonl') });
        }
      }
    };
    walk(projects);
  }
  return files;
}

interface PlannedRead {
  file: TranscriptFile;
  /** The stored state the plan was made from; undefined for a file never read. */
  basis: FileState | undefined;
  /** Read from byte 0, replacing what the file gave before (new, shrunk or rewritten). */
  full: boolean;
  headLen: number;
  headHash: string;
  task: ScanTask;
}

export interface IngestResult {
  dirs: string[];
  looked: string[];
  /** Transcript files present now. */
  files: number;
  /** Files with new bytes read by this call. */
  filesRead: number;
  bytesRead: number;
  /** Model calls new to the store. */
  added: number;
  /** Calls already stored that a copy with more tokens replaced (streaming). */
  updated: number;
  /** Copies of calls already stored that carried no more tokens. */
  duplicates: number;
  /** Lines that were not JSON objects or had a broken usage record, in this call's reads. */
  malformed: number;
  /** Malformed lines over every file ever read. */
  malformedTotal: number;
  /** Entries of Claude Code's `<synthetic>` model skipped in this call's reads. */
  synthetic: number;
  /** Files that could not be read; they are tried again next time. */
  unreadable: string[];
  /** Worker threads used (0: read on the calling thread). */
  workers: number;
}

export interface IngestOptions {
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  workerMinBytes?: number;
}

/**
 * Brings the store and `ledger` up to date with the transcripts on disk. The ledger must reflect
 * the store when called; reading happens outside any transaction, and the write checks that no
 * other process has read the same files meanwhile (those files are skipped: their bytes are in).
 */
export async function ingestTranscripts(store: TokenStore, ledger: Ledger, options: IngestOptions): Promise<IngestResult> {
  const { dirs, looked } = claudeDirs(options.env);
  const present = listTranscripts(dirs);
  let states = statesByPath(store);
  const plan = present.map((file) => planRead(file, states.get(file.path))).filter((read): read is PlannedRead => read !== null);
  const { outcomes, workers } = await scanAll(
    plan.map((read) => read.task),
    { signal: options.signal, workerMinBytes: options.workerMinBytes },
  );
  const result: IngestResult = {
    dirs,
    looked,
    files: present.length,
    filesRead: 0,
    bytesRead: 0,
    added: 0,
    updated: 0,
    duplicates: 0,
    malformed: 0,
    malformedTotal: 0,
    synthetic: 0,
    unreadable: [],
    workers,
  };
  if (plan.length > 0) {
    try {
      const { version } = store.write(
        ledger.version,
        () => {
          ledger.load(store);
          states = statesByPath(store);
        },
        (writer) => plan.forEach((read, i) => applyRead(read, outcomes[i]!, states.get(read.file.path), writer, ledger, result)),
      );
      ledger.version = version;
    } catch (error) {
      // The transaction rolled back, but the ledger may hold part of it: reload on next use.
      ledger.invalidate();
      throw error;
    }
    states = statesByPath(store);
  }
  for (const state of states.values()) result.malformedTotal += state.malformed;
  return result;
}

function statesByPath(store: TokenStore): Map<string, FileState> {
  return new Map(store.files().map((state) => [state.path, state]));
}

function planRead(file: TranscriptFile, state: FileState | undefined): PlannedRead | null {
  if (state && file.size === state.size && file.mtimeMs === state.mtimeMs) return null;
  let head: Buffer;
  try {
    head = readHead(file.path, Math.min(file.size, HEAD_BYTES));
  } catch {
    return null; // gone since it was listed; the next call will not see it either
  }
  const appended = state !== undefined && file.size >= state.size && hash(head.subarray(0, state.headLen)) === state.headHash;
  const start = appended ? state.readOffset : 0;
  return {
    file,
    basis: state,
    full: !appended,
    headLen: head.length,
    headHash: hash(head),
    task: { path: file.path, start, end: file.size, session: file.session, project: file.project },
  };
}

function applyRead(read: PlannedRead, outcome: ScanOutcome, current: FileState | undefined, writer: TokenWriter, ledger: Ledger, result: IngestResult): void {
  if (outcome.error !== undefined) {
    result.unreadable.push(`${read.file.path}: ${outcome.error}`);
    return;
  }
  // Another process read this file since the plan was made; its reading is already stored.
  if (!sameState(current, read.basis)) return;
  const basis = read.basis;
  if (read.full && basis) {
    writer.deleteFileEvents(basis.id);
    ledger.removeFile(basis.id);
  }
  const fileId = writer.saveFile({
    id: basis?.id,
    path: read.file.path,
    size: read.file.size,
    mtimeMs: read.file.mtimeMs,
    readOffset: outcome.consumed,
    headLen: read.headLen,
    headHash: read.headHash,
    lines: (read.full || !basis ? 0 : basis.lines) + outcome.lines,
    malformed: (read.full || !basis ? 0 : basis.malformed) + outcome.malformed,
  });
  if (outcome.consumed > read.task.start) result.filesRead++;
  result.bytesRead += outcome.consumed - read.task.start;
  result.malformed += outcome.malformed;
  result.synthetic += outcome.synthetic;
  applyBatch(outcome.batch, fileId, writer, ledger, result);
}

function applyBatch(batch: EntryBatch, fileId: number, writer: TokenWriter, ledger: Ledger, result: IngestResult): void {
  const ids = batch.names.map((name) => nameId(name, writer, ledger));
  const { numbers, refs } = batch;
  for (let i = 0; i < batch.count; i++) {
    const at = i * FIELDS;
    const ref = i * REFS;
    const cost = numbers[at + F_COST]!;
    const row: EventRow = {
      source: 'transcript',
      fileId,
      ts: numbers[at + F_TS]!,
      key: batch.keys[i] ?? null,
      model: ids[refs[ref + R_MODEL]!]!,
      session: ids[refs[ref + R_SESSION]!]!,
      project: ids[refs[ref + R_PROJECT]!]!,
      operation: null,
      input: numbers[at + F_INPUT]!,
      output: numbers[at + F_OUTPUT]!,
      cacheCreation: numbers[at + F_CACHE_CREATION]!,
      cacheCreation1h: numbers[at + F_CACHE_CREATION_1H]!,
      cacheRead: numbers[at + F_CACHE_READ]!,
      cost: Number.isNaN(cost) ? null : cost,
    };
    storeEvent(row, writer, ledger, result);
  }
}

/**
 * Inserts a call, or, when its key is stored already (another copy of a streamed message, or the
 * same message replayed into a resumed session's file), keeps whichever copy has more tokens.
 */
export function storeEvent(row: EventRow, writer: TokenWriter, ledger: Ledger, counts: { added: number; updated: number; duplicates: number }): void {
  const slot = row.key === null ? undefined : ledger.slotOf(row.key);
  if (slot === undefined) {
    ledger.add(writer.insertEvent(row), row);
    counts.added++;
    return;
  }
  if (row.input + row.output + row.cacheCreation + row.cacheRead <= ledger.tokensAt(slot)) {
    counts.duplicates++;
    return;
  }
  const rowId = ledger.rowId[slot]!;
  writer.updateEvent(rowId, row);
  ledger.set(slot, rowId, row);
  counts.updated++;
}

/** The id of a name, adding it to the store and the ledger when new. */
export function nameId(name: string, writer: TokenWriter, ledger: Ledger): number {
  let id = ledger.nameIds.get(name);
  if (id === undefined) {
    id = writer.addName(name);
    ledger.setName(id, name);
  }
  return id;
}

function sameState(a: FileState | undefined, b: FileState | undefined): boolean {
  if (!a || !b) return a === b;
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.readOffset === b.readOffset && a.headHash === b.headHash;
}

function readHead(path: string, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  const fd = openSync(path, 'r');
  try {
    let got = 0;
    while (got < length) {
      const n = readSync(fd, buffer, got, length - got, got);
      if (n === 0) break;
      got += n;
    }
    return buffer.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

function hash(bytes: Buffer): string {
  return createHash('sha1').update(bytes).digest('hex');
}
