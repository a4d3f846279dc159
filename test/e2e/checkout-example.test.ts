import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, callOk, connectInMemory, type Connected } from '../helpers/mcp.js';

type Finding = { kind: string; impact: { ms_per_request: number | null }; location?: { function: string; file: string }; evidence: Record<string, unknown> };

/**
 * The SOP's example, end to end: one bottleneck_analyze call on the slow checkout service finds
 * its five planted problems with their evidence; on the optimized variant none of them comes back.
 */
describe('bottleneck_analyze on examples/checkout-service', () => {
  let connected: Connected;
  beforeAll(async () => {
    connected = await connectInMemory({ configPath: join(REPO_ROOT, 'perfsop.config.json') });
  });
  afterAll(async () => {
    await connected.close();
  });

  const analyze = async (component: string) =>
    ((await callOk(connected.client, 'bottleneck_analyze', { component, duration: 6 })) as { findings: Finding[] }).findings;
  const at = (f: Finding) => `${f.location?.function} ${f.location?.file}`;

  it('finds all five planted problems, with evidence, ranked by measured impact', async () => {
    const findings = await analyze('checkout-service');
    const n1 = findings.find((f) => f.kind === 'n-plus-one');
    expect(n1?.evidence).toMatchObject({ fingerprint: 'SELECT quantity FROM inventory WHERE sku = ?', per_request_mean: 15 });
    expect(at(n1!)).toBe('validateInventory examples/checkout-service/src/services/checkout.mjs');

    const index = findings.find((f) => f.kind === 'missing-index');
    expect(index?.evidence).toMatchObject({ table: 'product_variants', column: 'sku', fingerprint: 'SELECT * FROM product_variants WHERE sku = ?' });

    const tax = findings.find((f) => f.kind === 'hot-function' && f.location?.file === 'examples/checkout-service/src/services/tax.mjs');
    expect(tax?.location?.function).toMatch(/lookupTaxJurisdiction|calculateTax/);

    const discounts = findings.find((f) => f.kind === 'algorithmic');
    expect(at(discounts!)).toBe('applyDiscounts examples/checkout-service/src/services/discounts.mjs');

    const logging = findings.find((f) => f.kind === 'logging');
    expect(at(logging!)).toBe('logVerbose examples/checkout-service/src/log.mjs');

    const measured = findings.map((f) => f.impact.ms_per_request).filter((ms): ms is number => ms !== null);
    expect(measured).toEqual([...measured].sort((a, b) => b - a));
  });

  it('finds none of them in the optimized variant', async () => {
    const findings = await analyze('checkout-service-optimized');
    expect(findings.filter((f) => ['n-plus-one', 'missing-index', 'algorithmic', 'logging'].includes(f.kind))).toEqual([]);
    expect(findings.filter((f) => f.location?.file === 'examples/checkout-service/src/services/tax.mjs')).toEqual([]);
    expect(findings.filter((f) => f.location?.function === 'applyDiscounts')).toEqual([]);
  });
});
