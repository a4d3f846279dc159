// Times each planted function and its fix in isolation, in this process, on freshly seeded databases
// (one without and one with the sku index):
//   node examples/checkout-service/measure.mjs > /tmp/checkout-log.txt
// The table goes to stderr. stdout receives what logVerbose writes: send it to a file or a pipe, as a
// service's stdout would be (a terminal is slower and less typical).
// CALLS (default 200) timed calls per function, after as many warm-up calls so the JIT has optimised
// them as in a server under load; the figure is the median of 10 batches. ITEMS (default 15) lines.
import { buildCart } from './src/cart.mjs';
import { DEFAULT_ADDRESS } from './src/catalog.mjs';
import { openDatabase } from './src/db.mjs';
import { logVerbose } from './src/log.mjs';
import { createCheckout, priceItems, validateInventory, validateInventoryBatched } from './src/services/checkout.mjs';
import { applyDiscounts, applyDiscountsIndexed, loadCoupons } from './src/services/discounts.mjs';
import { getProductDetails, loadCatalogue } from './src/services/products.mjs';
import { calculateTax, calculateTaxCached } from './src/services/tax.mjs';

const CALLS = Number(process.env.CALLS ?? 200);
const ITEMS = Number(process.env.ITEMS ?? 15);
const BATCHES = 10;

/** ms per call: median over BATCHES batches of the mean of CALLS / BATCHES calls. */
function time(fn) {
  for (let i = 0; i < CALLS; i++) fn();
  const per = Math.max(1, Math.round(CALLS / BATCHES));
  const means = [];
  for (let b = 0; b < BATCHES; b++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < per; i++) fn();
    means.push(Number(process.hrtime.bigint() - start) / 1e6 / per);
  }
  return means.sort((a, b) => a - b)[Math.floor(BATCHES / 2)];
}

function withDatabase(optimized, fn) {
  const database = openDatabase({ optimized });
  try {
    const catalogue = loadCatalogue();
    const coupons = loadCoupons();
    const lines = buildCart(ITEMS, catalogue);
    const items = priceItems(lines);
    const checkout = createCheckout({ optimized, coupons });
    return fn({ lines, items, coupons, checkout, variants: items.filter((item) => item.sku.startsWith('V-')) });
  } finally {
    database.close();
  }
}

// The logVerbose calls the slow variant makes for one checkout (src/app.mjs and src/services/checkout.mjs).
function logLikeTheSlowCheckout({ lines, items, coupons }, result) {
  logVerbose('request', { method: 'POST', url: '/api/checkout', headers: { host: '127.0.0.1:3000', 'content-type': 'application/json', 'content-length': '12' } });
  logVerbose('checkout: cart received', { lines, address: DEFAULT_ADDRESS });
  for (const item of items) logVerbose('checkout: line priced', item);
  for (const item of items) logVerbose('checkout: stock ok', { sku: item.sku, requested: item.quantity });
  logVerbose('checkout: promotions evaluated', { discount: 0, couponsChecked: coupons.map((c) => `${c.code} ${c.rateBps / 100}%`) });
  logVerbose('checkout: response', result);
}

const slow = withDatabase(false, (cart) => {
  const result = cart.checkout({ lines: cart.lines, address: DEFAULT_ADDRESS });
  return {
    result,
    logCalls: 4 + 2 * cart.items.length,
    variants: cart.variants.length,
    checkout: time(() => cart.checkout({ lines: cart.lines, address: DEFAULT_ADDRESS })),
    validateInventory: time(() => validateInventory(cart.items)),
    validateInventoryBatched: time(() => validateInventoryBatched(cart.items)),
    calculateTax: time(() => calculateTax(cart.items, DEFAULT_ADDRESS)),
    calculateTaxCached: time(() => calculateTaxCached(cart.items, DEFAULT_ADDRESS)),
    applyDiscounts: time(() => applyDiscounts(cart.items, cart.coupons)),
    applyDiscountsIndexed: time(() => applyDiscountsIndexed(cart.items, cart.coupons)),
    getProductDetails: time(() => cart.variants.forEach((item) => getProductDetails(item.sku))),
    logVerbose: time(() => logLikeTheSlowCheckout(cart, result)),
  };
});

const fast = withDatabase(true, (cart) => ({
  result: cart.checkout({ lines: cart.lines, address: DEFAULT_ADDRESS }),
  checkout: time(() => cart.checkout({ lines: cart.lines, address: DEFAULT_ADDRESS })),
  getProductDetails: time(() => cart.variants.forEach((item) => getProductDetails(item.sku))),
}));

const ms = (value) => value.toFixed(3).padStart(8);
const share = (value) => `${((value / slow.checkout) * 100).toFixed(0).padStart(3)}%`;
const rows = [
  ['1 N+1 inventory queries', 'validateInventory', slow.validateInventory, 'validateInventoryBatched', slow.validateInventoryBatched],
  ['2 tax table read per request', 'calculateTax', slow.calculateTax, 'calculateTaxCached', slow.calculateTaxCached],
  ['3 O(n²) discount matcher', 'applyDiscounts', slow.applyDiscounts, 'applyDiscountsIndexed', slow.applyDiscountsIndexed],
  ['4 missing index', `getProductDetails x${slow.variants}`, slow.getProductDetails, `same, with the index`, fast.getProductDetails],
  ['5 verbose logging', `logVerbose x${slow.logCalls}`, slow.logVerbose, '(not called)', 0],
];
console.error(`ms per call (median of ${BATCHES} batches, ${CALLS} calls), cart of ${ITEMS} lines; share = of the slow checkout`);
console.error(`${'problem'.padEnd(30)} ${'slow'.padEnd(24)} ${'ms'.padStart(8)} share   ${'fixed'.padEnd(26)} ${'ms'.padStart(8)}`);
for (const [problem, slowName, slowMs, fixName, fixMs] of rows) {
  console.error(`${problem.padEnd(30)} ${slowName.padEnd(24)} ${ms(slowMs)} ${share(slowMs)}   ${fixName.padEnd(26)} ${ms(fixMs)}`);
}
console.error(`${'whole checkout, no HTTP'.padEnd(30)} ${'slow variant'.padEnd(24)} ${ms(slow.checkout)} 100%   ${'optimized variant'.padEnd(26)} ${ms(fast.checkout)}`);
console.error(`same response from both variants: ${JSON.stringify(slow.result) === JSON.stringify(fast.result)}`);
