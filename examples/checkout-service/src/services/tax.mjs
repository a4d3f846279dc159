// Sales tax: each line is taxed at the rate (basis points) that the jurisdiction of the shipping
// address sets for its category. Both variants find the same row and do the same integer
// arithmetic, so they return the same cents.
import { db } from '../db.mjs';

/**
 * PLANTED PROBLEM 2 (synchronous tax calculation, SOP-008 step 3: "calculateTax() - 32% of CPU
 * time ... Complex tax jurisdiction lookup ... Synchronous calculation"; "Event loop ... Cause:
 * Synchronous tax calculation blocking").
 * Every call re-derives the jurisdiction from the whole table (lookupTaxJurisdiction below), on the
 * event loop, so every other request waits while it runs.
 * Fix (SOP-008 step 4, item 2 "Cache tax rules"): calculateTaxCached.
 */
export function calculateTax(items, address) {
  const jurisdiction = lookupTaxJurisdiction(address);
  return taxForItems(items, jurisdiction.rates);
}

/**
 * Reads all ~600 jurisdiction rows on every request and filters them in JavaScript, normalising
 * strings row by row, although the answer for a ZIP prefix never changes between requests.
 */
export function lookupTaxJurisdiction(address) {
  const zip = normalizeZip(address.zip);
  const state = normalizeState(address.state);
  const rows = db.prepare('SELECT * FROM tax_jurisdictions').all();
  const matches = rows.filter((row) => zip.startsWith(normalizeZip(String(row.zip_prefix))) && normalizeState(row.state) === state);
  return matches.length > 0 ? toJurisdiction(matches[0]) : NO_JURISDICTION;
}

/** Fix for problem 2: one Map lookup per request; the table is read once (loadTaxRules). */
export function calculateTaxCached(items, address) {
  const rules = taxRulesByZipPrefix ?? loadTaxRules();
  const jurisdiction = rules.get(ruleKey(normalizeZip(address.zip).slice(0, 3), normalizeState(address.state))) ?? NO_JURISDICTION;
  return taxForItems(items, jurisdiction.rates);
}

let taxRulesByZipPrefix;

/**
 * Reads the table once into a Map keyed by ZIP prefix and state. Rates change rarely; a real
 * service would reload this on a schedule or on a change event instead of on every request.
 */
export function loadTaxRules() {
  const rules = new Map();
  for (const row of db.prepare('SELECT * FROM tax_jurisdictions ORDER BY id').all()) {
    const key = ruleKey(normalizeZip(String(row.zip_prefix)), normalizeState(row.state));
    // First row wins, as in lookupTaxJurisdiction.
    if (!rules.has(key)) rules.set(key, toJurisdiction(row));
  }
  taxRulesByZipPrefix = rules;
  return rules;
}

const NO_JURISDICTION = Object.freeze({ name: 'none', rates: Object.freeze({}) });

const ruleKey = (zipPrefix, state) => `${zipPrefix}|${state}`;
const normalizeZip = (zip) => zip.trim().padStart(3, '0');
const normalizeState = (state) => state.trim().toUpperCase();

function toJurisdiction(row) {
  return { name: row.county, rates: JSON.parse(row.rates) };
}

function taxForItems(items, rates) {
  let tax = 0;
  for (const item of items) tax += Math.round((item.lineCents * (rates[item.category] ?? 0)) / 10_000);
  return tax;
}
