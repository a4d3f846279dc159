// The tax calculation on its own, for benchmark_run's command benchmark (suite
// performance-validation): seeds a fresh database, then computes the tax of a 15-line cart
// CALLS times (default 100). OPTIMIZED=1 uses the cached tax rules (the SOP's fix).
import { buildCart } from './src/cart.mjs';
import { DEFAULT_ADDRESS } from './src/catalog.mjs';
import { openDatabase } from './src/db.mjs';
import { priceItems } from './src/services/checkout.mjs';
import { loadCatalogue } from './src/services/products.mjs';
import { calculateTax, calculateTaxCached } from './src/services/tax.mjs';

const optimized = ['1', 'true'].includes(process.env.OPTIMIZED ?? '');
const calls = Number(process.env.CALLS ?? 100);
const database = openDatabase({ optimized });
try {
  const items = priceItems(buildCart(15, loadCatalogue()));
  const tax = optimized ? calculateTaxCached : calculateTax;
  let total = 0;
  for (let i = 0; i < calls; i++) total += tax(items, DEFAULT_ADDRESS);
  if (!Number.isFinite(total)) throw new Error('tax is not a number');
} finally {
  database.close();
}
