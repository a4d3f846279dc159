// The HTTP service: opens the database, loads what both variants keep in memory, serves three routes.
import http from 'node:http';
import { parseCheckoutRequest } from './cart.mjs';
import { db, openDatabase } from './db.mjs';
import { HttpError } from './errors.mjs';
import { logRequestLine, logVerbose } from './log.mjs';
import { createCheckout } from './services/checkout.mjs';
import { loadCoupons } from './services/discounts.mjs';
import { getProductDetails, getProductsBySku, loadCatalogue } from './services/products.mjs';
import { loadTaxRules } from './services/tax.mjs';

const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Starts the service on 127.0.0.1 and resolves once it listens. `close()` stops accepting
 * connections, ends the open ones, closes the database and removes its temp file.
 */
export async function startCheckoutService({ port = 0, optimized = false, dbPath, logLevel = 'info' } = {}) {
  const host = '127.0.0.1';
  const database = openDatabase({ dbPath, optimized });
  const catalogue = loadCatalogue();
  const coupons = loadCoupons();
  if (optimized) loadTaxRules();
  const checkout = createCheckout({ optimized, coupons });
  const debug = logLevel === 'debug';

  const server = http.createServer(async function handleRequest(req, res) {
    const started = performance.now();
    const path = req.url.split('?', 1)[0];
    let status = 200;
    let body;
    try {
      // Problem 5 again: the slow variant dumps every request's headers before doing anything.
      if (!optimized) logVerbose('request', { method: req.method, url: req.url, headers: req.headers });
      if (req.method === 'GET' && path === '/health') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('ok');
        return;
      }
      if (req.method === 'POST' && path === '/api/checkout') {
        body = checkout(parseCheckoutRequest(await readJson(req), catalogue));
      } else if (req.method === 'GET' && path.startsWith('/api/products/')) {
        body = productView(decodeSku(path.slice('/api/products/'.length)));
      } else {
        throw new HttpError(404, `No route for ${req.method} ${path}`);
      }
    } catch (error) {
      status = error instanceof HttpError ? error.status : 500;
      body = { error: status === 500 ? 'Internal error' : error.message };
      if (status === 500) console.error(error);
    } finally {
      if (optimized && debug) logRequestLine(req.method, path, status, performance.now() - started);
    }
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  });

  try {
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    database.close();
    throw error;
  }

  return {
    server,
    port: server.address().port,
    url: `http://${host}:${server.address().port}`,
    dbPath: database.path,
    seedMs: database.seedMs,
    async close() {
      await new Promise((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 500).unref();
      });
      database.close();
    },
  };
}

/** GET /api/products/:sku: a product or a variant, with its stock. The lighter route. */
function productView(sku) {
  const row = getProductsBySku([sku])[0] ?? getProductDetails(sku);
  if (!row) throw new HttpError(404, `Unknown sku ${sku}`);
  const stock = db.prepare('SELECT quantity FROM inventory WHERE sku = ?').get(sku);
  return {
    sku: row.sku,
    name: row.name,
    category: row.category,
    price: row.price_cents / 100,
    ...(row.size ? { size: row.size, color: row.color, weightGrams: row.weight_grams } : {}),
    inStock: stock?.quantity ?? 0,
  };
}

function decodeSku(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new HttpError(400, 'The sku in the path is not valid percent-encoding');
  }
}

function readJson(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      // Past the limit, keep draining (so the 413 reaches the client) but stop buffering.
      if (size > MAX_BODY_BYTES) reject(new HttpError(413, 'Body larger than 1 MiB'));
      else chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) return;
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new HttpError(400, 'Body is not valid JSON'));
      }
    });
    req.on('error', reject);
  });
}
