import { describe, expect, it } from 'vitest';
import { formatInteger } from '../../src/format.js';

describe('formatInteger', () => {
  // It groups digits by hand to keep ICU out of start-up; ICU stays the reference it must match.
  const icu = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
  const values = [
    0, 1, 9, 10, 99, 100, 999, 1000, 1001, 9999, 10_000, 99_999, 100_000, 123_456, 999_999, 1_000_000, 1_234_567,
    50_000, 2 ** 31, 2 ** 53 - 1, 1e20, 0.4, 0.5, 1.5, 2.5, 999.5, 999.49, 1234.5678, 99_999.5,
    -1, -999, -1000, -1234.5, -0.4, -0.5, -2.5, -1_234_567,
  ];

  it.each(values)('matches Intl.NumberFormat for %d', (n) => {
    expect(formatInteger(n)).toBe(icu.format(n) === '-0' ? '0' : icu.format(n));
  });

  it('groups thousands', () => {
    expect(formatInteger(1_234_567)).toBe('1,234,567');
    expect(formatInteger(-50_000)).toBe('-50,000');
  });
});
