/** Small formatters shared by every renderer, so numbers read the same in every tool. */

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(2)} MiB`;
}

export function isoTime(ms: number): string;
export function isoTime(ms: number | null): string | null;
export function isoTime(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** Shortens text for a markdown preview, saying how much was left out. */
export function preview(text: string, maxChars: number): { text: string; truncated: boolean } {
  if (text.length <= maxChars) return { text, truncated: false };
  return { text: text.slice(0, maxChars), truncated: true };
}

/** A measured figure with the digits that matter: 1,234 / 123 / 12.3 / 1.23; '-' when absent. */
export function formatFigure(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '-';
  const abs = Math.abs(value);
  return abs >= 1000 ? formatInteger(value) : abs >= 100 ? value.toFixed(0) : abs >= 10 ? value.toFixed(1) : value.toFixed(2);
}

/**
 * 1234567 -> "1,234,567", rounded half away from zero as `Intl.NumberFormat('en-US')` does.
 * Grouped by hand: the first ICU formatter of a process loads its locale data (12-15 ms), which
 * start-up paid for a tool description, and Number#toLocaleString builds a new one per call.
 */
export function formatInteger(n: number): string {
  if (!Number.isFinite(n) || Math.abs(n) >= 1e21) return String(n);
  const digits = String(Math.round(Math.abs(n)));
  const grouped = digits.replace(/\B(?=(\d{3})+$)/g, ',');
  return n < 0 && digits !== '0' ? `-${grouped}` : grouped;
}

// Built on first use, then kept: see formatInteger for what an ICU formatter costs.
let cents: Intl.NumberFormat | undefined;

/** Dollars to the cent; sub-cent amounts (one short request) to the millionth, so they do not read as $0.00. */
export function formatUsd(value: number): string {
  if (value !== 0 && Math.abs(value) < 0.01) return `$${value.toFixed(6).replace(/0+$/, '')}`;
  cents ??= new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  return `$${cents.format(value)}`;
}
