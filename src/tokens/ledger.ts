import type { EventRow, EventSource, RawEventRow, TokenStore } from '../store/tokens.js';

/**
 * Every stored model call of the database, in columns, in this process's memory. A report is one
 * pass over these arrays (a few milliseconds for 100k calls) where a SQL GROUP BY per breakdown
 * took 100 ms each; the database stays the source of truth, and `version` says which of its
 * states this copy reflects. Deleted calls become holes (alive = 0) until the next full load.
 */
export const NO_NAME = -1;

const INITIAL_CAPACITY = 1024;

export class Ledger {
  /** The store version loaded; -1 forces a reload. */
  version = -1;
  /** Slots in use, alive or not. */
  size = 0;
  rowId = new Float64Array(INITIAL_CAPACITY);
  ts = new Float64Array(INITIAL_CAPACITY);
  input = new Float64Array(INITIAL_CAPACITY);
  output = new Float64Array(INITIAL_CAPACITY);
  cacheCreation = new Float64Array(INITIAL_CAPACITY);
  cacheCreation1h = new Float64Array(INITIAL_CAPACITY);
  cacheRead = new Float64Array(INITIAL_CAPACITY);
  /** NaN when the source stated no cost. */
  cost = new Float64Array(INITIAL_CAPACITY);
  model = new Int32Array(INITIAL_CAPACITY);
  session = new Int32Array(INITIAL_CAPACITY);
  project = new Int32Array(INITIAL_CAPACITY);
  operation = new Int32Array(INITIAL_CAPACITY);
  file = new Int32Array(INITIAL_CAPACITY);
  /** 1 for recorded usage, 0 for transcripts. */
  recorded = new Uint8Array(INITIAL_CAPACITY);
  alive = new Uint8Array(INITIAL_CAPACITY);
  /** Name by id (ids are token_names rows). */
  readonly names: string[] = [];
  readonly nameIds = new Map<string, number>();
  private readonly slotByKey = new Map<string, number>();
  private readonly keyAt: Array<string | null> = [];

  /** Replaces the contents with what the store holds now. */
  load(store: TokenStore): void {
    this.clear();
    for (const { id, name } of store.names()) this.setName(id, name);
    for (const row of store.eventRows()) this.addRaw(row);
    this.version = store.version();
  }

  invalidate(): void {
    this.version = -1;
  }

  setName(id: number, name: string): void {
    this.names[id] = name;
    this.nameIds.set(name, id);
  }

  slotOf(key: string): number | undefined {
    return this.slotByKey.get(key);
  }

  tokensAt(slot: number): number {
    return this.input[slot]! + this.output[slot]! + this.cacheCreation[slot]! + this.cacheRead[slot]!;
  }

  add(rowId: number, row: EventRow): number {
    const slot = this.size++;
    if (slot >= this.ts.length) this.grow();
    this.set(slot, rowId, row);
    return slot;
  }

  set(slot: number, rowId: number, row: EventRow): void {
    const previousKey = this.keyAt[slot];
    if (previousKey && previousKey !== row.key) this.slotByKey.delete(previousKey);
    this.keyAt[slot] = row.key;
    this.rowId[slot] = rowId;
    this.ts[slot] = row.ts;
    this.input[slot] = row.input;
    this.output[slot] = row.output;
    this.cacheCreation[slot] = row.cacheCreation;
    this.cacheCreation1h[slot] = row.cacheCreation1h;
    this.cacheRead[slot] = row.cacheRead;
    this.cost[slot] = row.cost ?? NaN;
    this.model[slot] = row.model;
    this.session[slot] = row.session ?? NO_NAME;
    this.project[slot] = row.project ?? NO_NAME;
    this.operation[slot] = row.operation ?? NO_NAME;
    this.file[slot] = row.fileId ?? NO_NAME;
    this.recorded[slot] = row.source === 'recorded' ? 1 : 0;
    this.alive[slot] = 1;
    if (row.key !== null) this.slotByKey.set(row.key, slot);
  }

  /** Drops what a file contributed, as the store's deleteFileEvents does. */
  removeFile(fileId: number): void {
    for (let slot = 0; slot < this.size; slot++) {
      if (this.file[slot] !== fileId || this.alive[slot] === 0) continue;
      this.alive[slot] = 0;
      const key = this.keyAt[slot];
      if (key) this.slotByKey.delete(key);
      this.keyAt[slot] = null;
    }
  }

  private addRaw(row: RawEventRow): void {
    const [id, source, fileId, ts, key, model, session, project, operation, input, output, cacheCreation, cacheCreation1h, cacheRead, cost] = row;
    this.add(id, { source: source as EventSource, fileId, ts, key, model, session, project, operation, input, output, cacheCreation, cacheCreation1h, cacheRead, cost });
  }

  private clear(): void {
    this.size = 0;
    this.names.length = 0;
    this.nameIds.clear();
    this.slotByKey.clear();
    this.keyAt.length = 0;
    this.version = -1;
  }

  private grow(): void {
    const capacity = this.ts.length * 2;
    this.rowId = grown(this.rowId, capacity);
    this.ts = grown(this.ts, capacity);
    this.input = grown(this.input, capacity);
    this.output = grown(this.output, capacity);
    this.cacheCreation = grown(this.cacheCreation, capacity);
    this.cacheCreation1h = grown(this.cacheCreation1h, capacity);
    this.cacheRead = grown(this.cacheRead, capacity);
    this.cost = grown(this.cost, capacity);
    this.model = grown(this.model, capacity);
    this.session = grown(this.session, capacity);
    this.project = grown(this.project, capacity);
    this.operation = grown(this.operation, capacity);
    this.file = grown(this.file, capacity);
    this.recorded = grown(this.recorded, capacity);
    this.alive = grown(this.alive, capacity);
  }
}

function grown<T extends Float64Array | Int32Array | Uint8Array>(old: T, capacity: number): T {
  const next = new (old.constructor as new (length: number) => T)(capacity);
  next.set(old);
  return next;
}
