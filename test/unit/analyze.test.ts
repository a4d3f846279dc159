import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeCpuProfile } from '../../src/analyze/cpu-profile.js';
import { scanHotLines } from '../../src/analyze/source-scan.js';
import type { CpuProfile, ProfileNode } from '../../src/profile/cpuprofile.js';
import { tempDir } from '../helpers/temp.js';

/** A profile built by hand: nodes as [id, name, url, line, children], samples as [node, µs]. */
function profile(nodes: Array<[number, string, string, number, number[]]>, samples: Array<[number, number]>): CpuProfile {
  const built: ProfileNode[] = nodes.map(([id, functionName, url, lineNumber, children]) => ({
    id,
    callFrame: { functionName, url, lineNumber, columnNumber: 0, scriptId: '1' },
    children,
  }));
  const total = samples.reduce((sum, [, us]) => sum + us, 0);
  // Durations are "until the next sample", so each delta is the previous sample's duration.
  return { nodes: built, startTime: 0, endTime: total, samples: samples.map(([id]) => id), timeDeltas: samples.map((_, i) => (i === 0 ? 0 : samples[i - 1]![1])) };
}

const APP = 'file:///app/src';

describe('CPU profile analysis', () => {
  it('gives time in natives and libraries to the user function that called them', () => {
    const p = profile(
      [
        [1, '(root)', '', -1, [2, 6]],
        [2, 'handler', `${APP}/app.js`, 9, [3]],
        [3, 'lookupTax', `${APP}/tax.js`, 4, [4, 5]],
        [4, 'all', '', -1, []],
        [5, 'parse', `file:///app/node_modules/csv/index.js`, 1, []],
        [6, '(idle)', '', -1, []],
      ],
      [
        [3, 1000],
        [4, 6000],
        [5, 2000],
        [2, 500],
        [6, 500],
      ],
    );
    const analysis = analyzeCpuProfile(p);
    const tax = analysis.functions.find((f) => f.name === 'lookupTax')!;
    expect(tax).toMatchObject({ kind: 'user', file: '/app/src/tax.js', line: 5, selfUs: 1000, ownUs: 9000, totalUs: 9000 });
    expect(analysis.functions.find((f) => f.name === 'handler')).toMatchObject({ ownUs: 500, totalUs: 9500 });
    expect(analysis.dependencies).toEqual([{ package: 'csv', selfUs: 2000 }]);
    expect(analysis.idleUs).toBe(500);
    expect(analysis.activeUs).toBe(9500);
  });

  it('passes the time of a thin helper shared by several callers to each caller', () => {
    const p = profile(
      [
        [1, '(root)', '', -1, [2, 4]],
        [2, 'validateInventory', `${APP}/checkout.js`, 10, [3]],
        [3, 'get', `${APP}/db.js`, 1, [6]],
        [4, 'getProduct', `${APP}/products.js`, 20, [5]],
        [5, 'get', `${APP}/db.js`, 1, [7]],
        [6, 'step', '', -1, []],
        [7, 'step', '', -1, []],
      ],
      [
        [6, 3000],
        [7, 5000],
        [2, 100],
        [4, 100],
      ],
    );
    const analysis = analyzeCpuProfile(p);
    const own = (name: string) => analysis.functions.find((f) => f.name === name)!.ownUs;
    expect(own('validateInventory')).toBe(3100);
    expect(own('getProduct')).toBe(5100);
    expect(own('get')).toBe(0);
  });

  it('counts a recursive function once per sample', () => {
    const p = profile(
      [
        [1, '(root)', '', -1, [2]],
        [2, 'walk', `${APP}/tree.js`, 1, [3]],
        [3, 'walk', `${APP}/tree.js`, 1, [4]],
        [4, 'walk', `${APP}/tree.js`, 1, []],
      ],
      [
        [4, 1000],
        [3, 1000],
      ],
    );
    expect(analyzeCpuProfile(p).functions.find((f) => f.name === 'walk')).toMatchObject({ totalUs: 2000, selfUs: 2000 });
  });

  it('finds uninterrupted runs of JavaScript of 10 ms or more', () => {
    const p = profile(
      [
        [1, '(root)', '', -1, [2, 3]],
        [2, 'hashSync', `${APP}/auth.js`, 3, []],
        [3, '(idle)', '', -1, []],
      ],
      [
        [2, 4000],
        [2, 8000],
        [3, 1000],
        [2, 3000],
        [3, 1000],
      ],
    );
    const { blocking } = analyzeCpuProfile(p);
    expect(blocking).toMatchObject({ episodes: 1, maxMs: 12 });
    expect(blocking.functions[0]).toMatchObject({ name: 'hashSync', ms: 12 });
  });
});

describe('source scan of hot lines', () => {
  const source = [
    'export function applyDiscounts(items, coupons) {', // 1
    '  let total = 0;', // 2
    '  const skus = items.map((i) => i.sku);', // 3
    '  for (const item of items) {', // 4
    "    // for (const x of y) { a comment, not a loop }", // 5
    '    for (const coupon of coupons) {', // 6
    "      if (coupon.appliesTo.includes(item.category)) total += 1; // '{'", // 7
    '    }', // 8
    '  }', // 9
    '  for (const sku of skus) {', // 10
    '    if (known.includes(sku)) total += 2;', // 11
    '  }', // 12
    "  const label = 'for (;;) {';", // 13
    '  return total;', // 14
    '}', // 15
  ].join('\n');

  function scan(hot: number[]) {
    const file = join(tempDir(), 'discounts.js');
    writeFileSync(file, source);
    return scanHotLines(file, 1, hot);
  }

  it('reports a hot line inside two loops as a nested loop, with the loop lines', () => {
    expect(scan([7])).toMatchObject({ pattern: 'nested-loop', lines: [4, 6, 7] });
  });

  it('reports a linear search inside one loop', () => {
    expect(scan([11])).toMatchObject({ pattern: 'lookup-in-loop', lines: [10, 11] });
  });

  it('does not take a one-line map, comments or strings for loops', () => {
    expect(scan([2])).toBeUndefined();
    expect(scan([13])).toBeUndefined();
    expect(scan([14])).toBeUndefined();
  });

  it('says nothing about a file it cannot read', () => {
    expect(scanHotLines('/no/such/file.js', 1, [3])).toBeUndefined();
  });
});
