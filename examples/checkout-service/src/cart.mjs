// Turns a request body into cart lines: either {"items": n}, a deterministic cart of n lines built
// from the catalogue, or {"items": [{"sku", "quantity"}, ...]}.
import { COLORS, DEFAULT_ADDRESS, SIZES } from './catalog.mjs';
import { HttpError } from './errors.mjs';
import { createRng, pick } from './prng.mjs';

export const MAX_LINES = 100;
/** In a built cart, one line in seven is a size/colour variant (lines 3, 10, 17, ...). */
const VARIANT_EVERY = 7;

/**
 * The same n always gives the same cart (seeded by n), so the slow and optimized variants can be
 * compared response for response. Lines are distinct skus with quantities 1-3.
 */
export function buildCart(n, catalogue) {
  const rng = createRng(0xca47 + n);
  const lines = [];
  const seen = new Set();
  while (lines.length < n) {
    let sku;
    if (lines.length % VARIANT_EVERY === 2) {
      const id = catalogue.configurableIds[pick(rng, catalogue.configurableIds.length)];
      const variant = pick(rng, SIZES.length * COLORS.length);
      sku = `V-${String(id).padStart(6, '0')}-${String(variant).padStart(2, '0')}`;
    } else {
      sku = catalogue.simpleSkus[pick(rng, catalogue.simpleSkus.length)];
    }
    if (seen.has(sku)) continue;
    seen.add(sku);
    lines.push({ sku, quantity: 1 + pick(rng, 3) });
  }
  return lines;
}

export function parseCheckoutRequest(body, catalogue) {
  if (body === null || typeof body !== 'object') throw new HttpError(400, 'body must be a JSON object like {"items": 15}');
  const { items, address = DEFAULT_ADDRESS } = body;
  let lines;
  if (typeof items === 'number') {
    if (!Number.isInteger(items) || items < 1 || items > MAX_LINES) throw new HttpError(400, `items must be an integer 1-${MAX_LINES}`);
    lines = buildCart(items, catalogue);
  } else if (Array.isArray(items)) {
    if (items.length < 1 || items.length > MAX_LINES) throw new HttpError(400, `items must hold 1-${MAX_LINES} lines`);
    lines = items.map((line, i) => {
      if (!line || typeof line.sku !== 'string' || !Number.isInteger(line.quantity) || line.quantity < 1 || line.quantity > 99) {
        throw new HttpError(400, `items[${i}] must be {"sku": string, "quantity": 1-99}`);
      }
      return { sku: line.sku, quantity: line.quantity };
    });
    if (new Set(lines.map((line) => line.sku)).size !== lines.length) throw new HttpError(400, 'each sku may appear once');
  } else {
    throw new HttpError(400, 'items must be a number of lines (e.g. 15) or an array of {"sku", "quantity"}');
  }
  if (!address || typeof address.zip !== 'string' || !/^\d{5}$/.test(address.zip) || typeof address.state !== 'string') {
    throw new HttpError(400, 'address must be {"zip": "94107", "state": "CA"}');
  }
  return { lines, address: { zip: address.zip, state: address.state } };
}
