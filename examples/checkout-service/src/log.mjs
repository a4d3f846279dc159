// Request logging. stdout is usually a file or a pipe, where Node writes synchronously: every byte
// logged is serialised and written while the event loop waits.

const SECRET_KEYS = new Set(['authorization', 'cookie', 'password', 'card_number', 'cvv']);

/**
 * PLANTED PROBLEM 5 (verbose logging, SOP-008 step 3: "Low: Excessive Logging ... Fix: Reduce log
 * verbosity in production").
 * The slow variant calls this 34 times per 15-line checkout (the request, every cart line twice,
 * every coupon it checked, the response): pretty-printed JSON run through a redaction replacer,
 * tens of kilobytes per request, each line written synchronously.
 * Fix: the optimized variant never calls it; it writes at most logRequestLine below.
 */
export function logVerbose(event, data) {
  const entry = { time: new Date().toISOString(), level: 'debug', service: 'checkout-service', pid: process.pid, event, data };
  console.log(JSON.stringify(entry, redactSecrets, 2));
}

function redactSecrets(key, value) {
  return SECRET_KEYS.has(key.toLowerCase()) ? '[redacted]' : value;
}

/** Fix for problem 5: one short line per request, and only when LOG_LEVEL=debug. */
export function logRequestLine(method, path, status, ms) {
  process.stdout.write(`${method} ${path} ${status} ${ms.toFixed(1)}ms\n`);
}
