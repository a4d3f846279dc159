import { InputError } from '../errors.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Every UTC offset in use is a multiple of 15 minutes, so one lookup per quarter hour is exact. */
const QUARTER = 15 * MINUTE;

/**
 * Calendar days, weeks and months in one IANA time zone. Offsets come from Intl once per quarter
 * hour touched and are cached, so grouping 100k calls by day costs a few hundred Intl calls.
 */
export class Calendar {
  readonly timeZone: string;
  private readonly format: Intl.DateTimeFormat;
  private readonly offsets = new Map<number, number>();
  private readonly monthStarts = new Map<number, number>();
  private readonly utc: boolean;

  constructor(timeZone: string) {
    try {
      this.format = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
      });
    } catch {
      throw new InputError('timezone', `unknown time zone ${JSON.stringify(timeZone)}`, 'send an IANA name such as "UTC", "Europe/Paris" or "America/New_York"');
    }
    this.timeZone = this.format.resolvedOptions().timeZone;
    this.utc = this.timeZone === 'UTC' || this.timeZone === 'Etc/UTC';
  }

  /** Local time minus UTC, in ms, at instant `ts`. */
  offset(ts: number): number {
    if (this.utc) return 0;
    const quarter = Math.floor(ts / QUARTER);
    let offset = this.offsets.get(quarter);
    if (offset === undefined) {
      const at = quarter * QUARTER;
      const parts: Record<string, number> = {};
      for (const part of this.format.formatToParts(at)) if (part.type !== 'literal') parts[part.type] = Number(part.value);
      const wall = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!);
      offset = Math.round((wall - at) / MINUTE) * MINUTE;
      this.offsets.set(quarter, offset);
    }
    return offset;
  }

  /** Days since 1970-01-01 in local time. */
  dayNumber(ts: number): number {
    return Math.floor((ts + this.offset(ts)) / DAY);
  }

  /**
   * The local day, ISO week (from Monday) or month of `ts`, as the day number of its first day:
   * numbers make cheap map keys in a loop over every call; `label` turns one into text.
   */
  period(unit: 'day' | 'week' | 'month', ts: number): number {
    const day = this.dayNumber(ts);
    if (unit === 'day') return day;
    // 1970-01-01 was a Thursday: (day + 3) mod 7 counts the days since Monday.
    if (unit === 'week') return day - ((((day + 3) % 7) + 7) % 7);
    let first = this.monthStarts.get(day);
    if (first === undefined) {
      const date = new Date(day * DAY);
      first = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1) / DAY;
      this.monthStarts.set(day, first);
    }
    return first;
  }

  /** YYYY-MM-DD of a day number; YYYY-MM for a month. */
  label(unit: 'day' | 'week' | 'month', dayNumber: number): string {
    const date = new Date(dayNumber * DAY).toISOString();
    return unit === 'month' ? date.slice(0, 7) : date.slice(0, 10);
  }

  /** The UTC instant of local midnight starting YYYY-MM-DD. */
  startOfDay(year: number, month: number, day: number): number {
    const wall = Date.UTC(year, month - 1, day);
    // The offset at the guess can differ from the one at the answer across a DST change; one more
    // step settles it because offsets change at most once a day.
    const guess = wall - this.offset(wall);
    return wall - this.offset(guess);
  }
}

export interface Timeframe {
  /** Inclusive start, ms (or -Infinity). */
  since: number;
  /** Exclusive end, ms (or +Infinity). */
  until: number;
  label: string;
}

export interface TimeframeInput {
  timeframe?: string;
  since?: string;
  until?: string;
}

const UNITS: Record<string, number> = { h: HOUR, d: DAY, w: 7 * DAY };
/** The earliest instant a JavaScript Date represents (ECMA-262: 100,000,000 days before 1970). */
const EARLIEST_DATE_MS = -8.64e15;

/**
 * `timeframe` is relative to now (`24h`, `7d`, `30d`, any `<n>h`, `<n>d` or `<n>w`, or `all`);
 * `since`/`until` are dates (YYYY-MM-DD or YYYYMMDD, whole local days, `until` inclusive) or ISO
 * times, and take precedence over `timeframe`.
 */
export function resolveTimeframe(input: TimeframeInput, calendar: Calendar, now: number): Timeframe {
  if (input.since !== undefined || input.until !== undefined) {
    const since = input.since === undefined ? -Infinity : instant(input.since, calendar, 'since', 'start');
    const until = input.until === undefined ? now + 1 : instant(input.until, calendar, 'until', 'end');
    if (since >= until) throw new InputError('since', `since (${input.since}) is not before until (${input.until ?? 'now'})`);
    return { since, until, label: `${input.since ?? 'start'} to ${input.until ?? 'now'}` };
  }
  const text = (input.timeframe ?? '24h').trim().toLowerCase();
  if (text === 'all') return { since: -Infinity, until: Infinity, label: 'all time' };
  const match = /^(\d+)\s*([hdw])$/.exec(text);
  const amount = match ? Number(match[1]) : NaN;
  if (!match || !(amount > 0)) {
    throw new InputError('timeframe', `unrecognised timeframe ${JSON.stringify(input.timeframe)}`, 'use "24h", "7d", "30d", any "<n>h", "<n>d" or "<n>w", or "all"; or send since/until dates');
  }
  // A span reaching past the earliest time a Date can hold covers everything: from the start, as
  // "all" does, rather than a number no Date can print (found by fuzzing "9999999999w").
  const since = now - amount * UNITS[match[2]!]!;
  return { since: since < EARLIEST_DATE_MS ? -Infinity : since, until: now + 1, label: `last ${amount}${match[2]}` };
}

function instant(text: string, calendar: Calendar, field: 'since' | 'until', edge: 'start' | 'end'): number {
  const date = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(text.trim());
  if (date) {
    const [year, month, day] = [Number(date[1]), Number(date[2]), Number(date[3])];
    if (month < 1 || month > 12 || day < 1 || day > 31) throw new InputError(field, `not a date: ${JSON.stringify(text)}`);
    return edge === 'start' ? calendar.startOfDay(year, month, day) : calendar.startOfDay(year, month, day + 1);
  }
  const ms = Date.parse(text);
  if (!Number.isFinite(ms)) {
    throw new InputError(field, `not a date or time: ${JSON.stringify(text)}`, 'send YYYY-MM-DD (a whole day in `timezone`) or an ISO time such as 2026-01-31T14:00:00Z');
  }
  return edge === 'end' ? ms + 1 : ms;
}
