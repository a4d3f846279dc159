// POST /api/checkout: price the cart, check stock, apply promotions, add tax.
// The slow and the fixed implementation of each step sit side by side; createCheckout picks one set.
import { db } from '../db.mjs';
import { HttpError } from '../errors.mjs';
import { logVerbose } from '../log.mjs';
import { applyDiscounts, applyDiscountsIndexed } from './discounts.mjs';
import { getProductDetails, getProductsBySku } from './products.mjs';
import { calculateTax, calculateTaxCached } from './tax.mjs';

/**
 * PLANTED PROBLEM 1 (N+1 queries, SOP-008 step 3: "validateInventory() ... Database query for
 * each cart item (N+1 pattern) ... Sequential queries (not batched)").
 * One query per line: 15 identical statements for a 15-line cart. On this in-process SQLite file
 * each costs only about 10 µs; against a database server each would be a network round trip.
 * Fix (SOP-008 step 4, item 1 "Single batch query"): validateInventoryBatched.
 */
export function validateInventory(items) {
  for (const item of items) {
    const stock = db.prepare('SELECT quantity FROM inventory WHERE sku = ?').get(item.sku);
    if (!stock || stock.quantity < item.quantity) throw new HttpError(409, `Insufficient inventory for ${item.sku}`);
  }
}

/** Fix for problem 1: one query for the whole cart (WHERE sku IN (...)), then a Map lookup per line. */
export function validateInventoryBatched(items) {
  const skus = items.map((item) => item.sku);
  const rows = db.prepare(`SELECT sku, quantity FROM inventory WHERE sku IN (${skus.map(() => '?').join(', ')})`).all(...skus);
  const available = new Map(rows.map((row) => [row.sku, row.quantity]));
  for (const item of items) {
    if ((available.get(item.sku) ?? 0) < item.quantity) throw new HttpError(409, `Insufficient inventory for ${item.sku}`);
  }
}

/**
 * Cart lines -> priced items. Simple products come from one batched query on products; a line whose
 * sku is not a product is a size/colour variant, looked up with getProductDetails (problem 4: a full
 * scan per variant line in the slow variant, an index search in the optimized one).
 */
export function priceItems(lines) {
  const products = new Map(getProductsBySku(lines.map((line) => line.sku)).map((row) => [row.sku, row]));
  return lines.map(({ sku, quantity }) => {
    const row = products.get(sku) ?? getProductDetails(sku);
    if (!row) throw new HttpError(422, `Unknown sku ${sku}`);
    if (row.configurable === 1) throw new HttpError(422, `${sku} comes in sizes and colours; order one of its variants (V-...)`);
    return { sku, name: row.name, category: row.category, quantity, unitCents: row.price_cents, lineCents: row.price_cents * quantity };
  });
}

const SLOW = { validateInventory, applyDiscounts, calculateTax };

// The fixes: SOP-008 step 4's three code changes. getProductDetails is the same function in both
// variants (its fix is the index, src/db.mjs), and logging is switched off by `verbose` below.
const OPTIMIZED = {
  validateInventory: validateInventoryBatched,
  applyDiscounts: applyDiscountsIndexed,
  calculateTax: calculateTaxCached,
};

export function createCheckout({ optimized, coupons }) {
  const step = optimized ? OPTIMIZED : SLOW;
  // Problem 5 (logVerbose, src/log.mjs): the slow variant dumps every stage of every checkout.
  const verbose = !optimized;
  return function checkout({ lines, address }) {
    if (verbose) logVerbose('checkout: cart received', { lines, address });
    const items = priceItems(lines);
    if (verbose) for (const item of items) logVerbose('checkout: line priced', item);
    step.validateInventory(items);
    if (verbose) for (const item of items) logVerbose('checkout: stock ok', { sku: item.sku, requested: item.quantity });
    const subtotal = items.reduce((sum, item) => sum + item.lineCents, 0);
    const discount = step.applyDiscounts(items, coupons);
    if (verbose) logVerbose('checkout: promotions evaluated', { discount, couponsChecked: coupons.map((c) => `${c.code} ${c.rateBps / 100}%`) });
    const tax = step.calculateTax(items, address);
    const result = {
      total: cents(subtotal - discount + tax),
      subtotal: cents(subtotal),
      discount: cents(discount),
      tax: cents(tax),
      items: items.map((item) => ({
        sku: item.sku,
        name: item.name,
        category: item.category,
        quantity: item.quantity,
        unitPrice: cents(item.unitCents),
        lineTotal: cents(item.lineCents),
      })),
    };
    if (verbose) logVerbose('checkout: response', result);
    return result;
  };
}

const cents = (value) => value / 100;
