// Product and variant lookups.
import { db } from '../db.mjs';

/**
 * PLANTED PROBLEM 4 (missing index, SOP-008 step 3: "Slowest query: getProductDetails",
 * "Missing indexes: product_variants.sku").
 * product_variants has 50,000 rows and, in the slow variant, no index on sku: SQLite answers this
 * with a table scan for every variant in a cart and for every GET /api/products/:sku of a variant:
 * up to about 2 ms on a small VM (.get() stops at the first match, so a sku near the end of the
 * table, or an unknown one, costs the most). The query is the same in both variants; the fix is the
 * index idx_product_variants_sku that the optimized variant creates at startup (src/db.mjs),
 * which turns the scan into an index search.
 */
export function getProductDetails(sku) {
  return db.prepare('SELECT * FROM product_variants WHERE sku = ?').get(sku);
}

/** Simple products by sku, in one query (products.sku is UNIQUE, so indexed). */
export function getProductsBySku(skus) {
  if (skus.length === 0) return [];
  return db.prepare(`SELECT * FROM products WHERE sku IN (${skus.map(() => '?').join(', ')})`).all(...skus);
}

/** What the cart builder picks from: simple product skus and configurable product ids, in id order. */
export function loadCatalogue() {
  const simpleSkus = db.prepare('SELECT sku FROM products WHERE configurable = 0 ORDER BY id').pluck().all();
  const configurableIds = db.prepare('SELECT id FROM products WHERE configurable = 1 ORDER BY id').pluck().all();
  return { simpleSkus, configurableIds };
}
