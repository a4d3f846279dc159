import type { TokenStore } from '../store/tokens.js';
import { estimateTokens, type TokenEstimate } from './count.js';
import { Ledger } from './ledger.js';
import { requestCost, type ModelPrice, type Pricing } from './pricing.js';
import { recommend, type Recommendation } from './recommend.js';
import type { RecordedUsage } from './recorded.js';
import { buildReport, resolveFilter, type CostMode, type Filter, type GroupBy, type UsageReport } from './report.js';
import { Calendar, resolveTimeframe, type Timeframe, type TimeframeInput } from './timeframe.js';
import { ingestTranscripts, nameId, storeEvent, type IngestResult } from './transcripts.js';

/**
 * The token accounting engine of one perfsop process: transcripts and recorded usage in the store,
 * mirrored by an in-memory ledger that every report reads.
 */

export interface AccountingOptions {
  env: NodeJS.ProcessEnv;
  now: () => number;
  /** Built from the config on use, so a config error surfaces as the tool's error. */
  pricing: () => Pricing;
  workerMinBytes?: number;
}

export interface ReportRequest extends TimeframeInput {
  operation?: string;
  groupBy: GroupBy;
  costMode: CostMode;
  timezone?: string;
}

export interface ReportResult {
  report: UsageReport;
  recommendations: Recommendation[];
  timeframe: Timeframe;
  timeZone: string;
  /** Where `operation` matched; null when it was not given or matched nothing (then everything is reported). */
  filter: Filter | null;
  ingest: IngestResult;
}

export interface RecordResult {
  added: number;
  updated: number;
  duplicates: number;
  /** Tokens and cost (stated, else at list prices) of the calls given. */
  tokens: number;
  cost: number;
  /** Models given without a price. */
  unpriced: string[];
}

export class TokenAccounting {
  private readonly ledger = new Ledger();
  /** Building an Intl formatter costs ~2 ms; a calendar per time zone is kept. */
  private readonly calendars = new Map<string, Calendar>();
  private ingestion: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: TokenStore,
    private readonly options: AccountingOptions,
  ) {}

  /** Transcripts read so far plus new bytes. Calls in one process run one after another: the second finds nothing left to read. */
  ingest(signal?: AbortSignal): Promise<IngestResult> {
    const run = this.ingestion.then(() => {
      this.sync();
      return ingestTranscripts(this.store, this.ledger, { env: this.options.env, signal, workerMinBytes: this.options.workerMinBytes });
    });
    this.ingestion = run.catch(() => undefined);
    return run;
  }

  async report(request: ReportRequest, signal?: AbortSignal): Promise<ReportResult> {
    const ingest = await this.ingest(signal);
    const ledger = this.sync();
    const now = this.options.now();
    const zone = request.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
    let calendar = this.calendars.get(zone);
    if (!calendar) this.calendars.set(zone, (calendar = new Calendar(zone)));
    const timeframe = resolveTimeframe(request, calendar, now);
    const filter = request.operation === undefined ? null : resolveFilter(ledger, request.operation);
    const report = buildReport(ledger, this.options.pricing(), {
      since: timeframe.since,
      until: timeframe.until,
      groupBy: request.groupBy,
      costMode: request.costMode,
      calendar,
      filter,
      now,
    });
    return { report, recommendations: recommend(report), timeframe, timeZone: calendar.timeZone, filter, ingest };
  }

  record(usages: readonly RecordedUsage[]): RecordResult {
    this.sync();
    const pricing = this.options.pricing();
    const counts: RecordResult = { added: 0, updated: 0, duplicates: 0, tokens: 0, cost: 0, unpriced: [] };
    for (const usage of usages) {
      const price = pricing.lookup(usage.model);
      if (!price && usage.cost === null && !counts.unpriced.includes(usage.model)) counts.unpriced.push(usage.model);
      counts.tokens += usage.input + usage.output + usage.cacheCreation + usage.cacheRead;
      counts.cost += usage.cost ?? (price ? requestCost(price, { ...usage, cacheCreation1h: 0 }) : 0);
    }
    try {
      const { version } = this.store.write(
        this.ledger.version,
        () => this.ledger.load(this.store),
        (writer) => {
          const id = (name: string | null) => (name === null ? null : nameId(name, writer, this.ledger));
          for (const usage of usages) {
            const row = {
              source: 'recorded' as const,
              fileId: null,
              ts: usage.ts,
              key: usage.key,
              model: nameId(usage.model, writer, this.ledger),
              session: id(usage.session),
              project: id(usage.project),
              operation: id(usage.operation),
              input: usage.input,
              output: usage.output,
              cacheCreation: usage.cacheCreation,
              cacheCreation1h: 0,
              cacheRead: usage.cacheRead,
              cost: usage.cost,
            };
            storeEvent(row, writer, this.ledger, counts);
          }
        },
      );
      this.ledger.version = version;
    } catch (error) {
      this.ledger.invalidate();
      throw error;
    }
    return counts;
  }

  estimate(text: string, model?: string): TokenEstimate & { price: ModelPrice | null } {
    return { ...estimateTokens(text), price: model === undefined ? null : this.options.pricing().lookup(model) };
  }

  private sync(): Ledger {
    if (this.store.version() !== this.ledger.version) this.ledger.load(this.store);
    return this.ledger;
  }
}
