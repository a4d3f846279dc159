// Automatic promotions: each line gets the best rate among the active coupons that apply to its
// category (coupons do not stack). Both variants compute the same best rate, so the same cents.
import { db } from '../db.mjs';

/** Active coupons, read once at startup by both variants: {code, rateBps, appliesTo: string[]}. */
export function loadCoupons() {
  return db.prepare('SELECT code, rate_bps, applies_to FROM coupons WHERE active = 1 ORDER BY id').all().map((row) => ({
    code: row.code,
    rateBps: row.rate_bps,
    appliesTo: row.applies_to.split(','),
  }));
}

/**
 * PLANTED PROBLEM 3 (O(n²) discount matcher, SOP-008 step 3: "applyDiscounts() ... Nested loops
 * for coupon validation, O(n²) algorithm complexity").
 * For every line, every coupon, a linear search of the coupon's category list: lines x coupons x
 * categories string comparisons (15 lines x 800 coupons x 8-37 categories: well over 100,000) on
 * every request, to answer a question ("best rate for this category") whose answer depends only on
 * the coupons.
 * Fix (SOP-008 step 4, item 3 "Use hash map for O(n) lookup"): applyDiscountsIndexed.
 */
export function applyDiscounts(items, coupons) {
  let discount = 0;
  for (const item of items) {
    let best = 0;
    for (const coupon of coupons) {
      if (coupon.appliesTo.includes(item.category) && coupon.rateBps > best) best = coupon.rateBps;
    }
    discount += Math.round((item.lineCents * best) / 10_000);
  }
  return discount;
}

/** Fix for problem 3: one Map lookup per line; the map is built once per coupon list. */
export function applyDiscountsIndexed(items, coupons) {
  const bestRate = bestRateByCategory(coupons);
  let discount = 0;
  for (const item of items) discount += Math.round((item.lineCents * (bestRate.get(item.category) ?? 0)) / 10_000);
  return discount;
}

const indexes = new WeakMap();

/** category -> best coupon rate, built in one pass over the coupons and kept while the list lives. */
function bestRateByCategory(coupons) {
  let index = indexes.get(coupons);
  if (index) return index;
  index = new Map();
  for (const coupon of coupons) {
    for (const category of coupon.appliesTo) {
      if (coupon.rateBps > (index.get(category) ?? 0)) index.set(category, coupon.rateBps);
    }
  }
  indexes.set(coupons, index);
  return index;
}
