// Creates and fills the tables, deterministically (one seeded PRNG, fixed order), in a single
// transaction: about 119,000 rows in about half a second.
import { CATEGORIES, COLORS, CONFIGURABLE_CATEGORIES, DEFAULT_ADDRESS, SIMPLE_CATEGORIES, SIZES, stateForZipPrefix } from './catalog.mjs';
import { createRng, pick } from './prng.mjs';

export const PRODUCT_COUNT = 10_000;
/** One product in four is configurable; each has SIZES x COLORS = 20 variants: 50,000 rows. */
export const CONFIGURABLE_EVERY = 4;
export const COUPON_COUNT = 800;
const DEFAULT_ZIP_PREFIX = Number(DEFAULT_ADDRESS.zip.slice(0, 3));

// Children before parents: better-sqlite3 enforces foreign keys, and dropping products while
// product_variants still references it would check every row.
const SCHEMA = `
  DROP TABLE IF EXISTS product_variants;
  DROP TABLE IF EXISTS products;
  DROP TABLE IF EXISTS inventory;
  DROP TABLE IF EXISTS tax_jurisdictions;
  DROP TABLE IF EXISTS coupons;

  CREATE TABLE products (
    id INTEGER PRIMARY KEY,
    sku TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    price_cents INTEGER NOT NULL,
    configurable INTEGER NOT NULL
  );

  -- Planted problem 4: no index on sku. The optimized variant adds idx_product_variants_sku
  -- at startup (src/db.mjs); until then every lookup by sku scans all 50,000 rows.
  CREATE TABLE product_variants (
    id INTEGER PRIMARY KEY,
    product_id INTEGER NOT NULL REFERENCES products(id),
    sku TEXT NOT NULL,
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    size TEXT NOT NULL,
    color TEXT NOT NULL,
    price_cents INTEGER NOT NULL,
    weight_grams INTEGER NOT NULL
  );

  -- Keyed by sku: each inventory query is cheap; the problem is how many are sent (problem 1).
  CREATE TABLE inventory (
    sku TEXT PRIMARY KEY,
    quantity INTEGER NOT NULL
  );

  CREATE TABLE tax_jurisdictions (
    id INTEGER PRIMARY KEY,
    zip_prefix TEXT NOT NULL,
    state TEXT NOT NULL,
    county TEXT NOT NULL,
    rates TEXT NOT NULL
  );

  CREATE TABLE coupons (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    rate_bps INTEGER NOT NULL,
    applies_to TEXT NOT NULL,
    active INTEGER NOT NULL
  );
`;

const pad = (n, width) => String(n).padStart(width, '0');

export function seedDatabase(db) {
  db.exec(SCHEMA);
  const rng = createRng(0x5eed0008);
  db.transaction(() => {
    seedProducts(db, rng);
    seedTaxJurisdictions(db, rng);
    seedCoupons(db, rng);
  })();
}

function seedProducts(db, rng) {
  const product = db.prepare('INSERT INTO products (id, sku, name, category, price_cents, configurable) VALUES (?, ?, ?, ?, ?, ?)');
  const variant = db.prepare(
    'INSERT INTO product_variants (product_id, sku, name, category, size, color, price_cents, weight_grams) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const stock = db.prepare('INSERT INTO inventory (sku, quantity) VALUES (?, ?)');
  for (let id = 1; id <= PRODUCT_COUNT; id++) {
    const configurable = id % CONFIGURABLE_EVERY === 0;
    const categories = configurable ? CONFIGURABLE_CATEGORIES : SIMPLE_CATEGORIES;
    const category = categories[pick(rng, categories.length)];
    const sku = `P-${pad(id, 6)}`;
    const name = `${category} item ${id}`;
    const price = 199 + pick(rng, 19_800);
    product.run(id, sku, name, category, price, configurable ? 1 : 0);
    if (!configurable) {
      stock.run(sku, 20 + pick(rng, 480));
      continue;
    }
    SIZES.forEach((size, s) => {
      COLORS.forEach((color, c) => {
        const variantSku = `V-${pad(id, 6)}-${pad(s * COLORS.length + c, 2)}`;
        variant.run(id, variantSku, `${name} / ${size} / ${color}`, category, size, color, price + s * 150, 150 + pick(rng, 1_500));
        stock.run(variantSku, 20 + pick(rng, 480));
      });
    });
  }
}

// One row per ZIP3 prefix in use (about 600 of the 1,000, always including the default address's
// 941): its state, its county, and the combined state + county + city rate of each category in basis
// points (JSON).
function seedTaxJurisdictions(db, rng) {
  const insert = db.prepare('INSERT INTO tax_jurisdictions (zip_prefix, state, county, rates) VALUES (?, ?, ?, ?)');
  const stateRates = new Map();
  for (let prefix = 0; prefix < 1000; prefix++) {
    if (rng() < 0.4 && prefix !== DEFAULT_ZIP_PREFIX) continue;
    const state = stateForZipPrefix(prefix);
    if (!stateRates.has(state)) {
      const base = 400 + pick(rng, 326);
      const rates = {};
      for (const category of CATEGORIES) {
        // Most states exempt groceries and health items, some clothing.
        const exempt = category === 'grocery' || category === 'health' || (CONFIGURABLE_CATEGORIES.includes(category) && rng() < 0.2);
        rates[category] = exempt ? 0 : base;
      }
      stateRates.set(state, rates);
    }
    const countyRate = pick(rng, 250);
    const rates = {};
    for (const category of CATEGORIES) {
      const city = rng() < 0.25 ? 25 + pick(rng, 125) : 0;
      rates[category] = stateRates.get(state)[category] + (category === 'grocery' ? 0 : countyRate) + city;
    }
    const zip = pad(prefix, 3);
    insert.run(zip, state, `${state} county ${zip}`, JSON.stringify(rates));
  }
}

function seedCoupons(db, rng) {
  const insert = db.prepare('INSERT INTO coupons (code, rate_bps, applies_to, active) VALUES (?, ?, ?, ?)');
  for (let i = 1; i <= COUPON_COUNT; i++) {
    const count = 8 + pick(rng, 30);
    const appliesTo = new Set();
    while (appliesTo.size < count) appliesTo.add(CATEGORIES[pick(rng, CATEGORIES.length)]);
    insert.run(`SAVE-${pad(i, 4)}`, 100 * (1 + pick(rng, 15)), [...appliesTo].join(','), 1);
  }
}
