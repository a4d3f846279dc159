// node examples/checkout-service/server.mjs
// PORT (default 3000; 0 picks a free port), OPTIMIZED=1 for the fixed variant, DB_PATH (default: a
// temp file, removed on exit), LOG_LEVEL=debug for one line per request in the optimized variant.
import { startCheckoutService } from './src/app.mjs';
import { readConfig } from './src/config.mjs';

const config = readConfig();
let service;
let stopRequested = false;

// SIGTERM/SIGINT: stop accepting, end open connections, close the database (and remove its temp
// file), exit 0. Registered before startup so a signal during startup is honoured once it is done.
async function stop() {
  stopRequested = true;
  if (!service) return;
  const running = service;
  service = undefined;
  try {
    await running.close();
    process.exit(0);
  } catch (error) {
    console.error(error);
    process.exit(1);
  }
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

service = await startCheckoutService(config);

// One machine-readable line, so a harness started with PORT=0 can learn the port.
process.stdout.write(
  `${JSON.stringify({
    service: 'checkout-service',
    variant: config.optimized ? 'optimized' : 'slow',
    url: service.url,
    port: service.port,
    pid: process.pid,
    seedMs: Math.round(service.seedMs),
  })}\n`,
);
if (stopRequested) await stop();
