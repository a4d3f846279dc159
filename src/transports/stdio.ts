import type { App } from '../app.js';
import { log } from '../log.js';
import { createServer } from '../server.js';
import { PerfsopStdioTransport } from './stdio-transport.js';

/**
 * Serves one client over stdin/stdout until stdin closes. stdout carries only protocol messages,
 * so any stray console output (ours or a dependency's) is redirected to stderr first.
 */
export async function serveStdio(app: App): Promise<void> {
  const toStderr = (...args: unknown[]) => console.error(...args);
  console.log = toStderr;
  console.info = toStderr;
  console.debug = toStderr;

  const server = createServer(app);
  const transport = new PerfsopStdioTransport();
  await server.connect(transport);
  log.debug('serving MCP over stdio');

  await new Promise<void>((resolve) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      void server.close().finally(resolve);
    };
    process.stdin.once('end', finish);
    process.stdin.once('close', finish);
    // A client that stops us with a signal still gets pending writes (read counts) flushed.
    process.once('SIGTERM', finish);
    process.once('SIGINT', finish);
    transport.onclose = finish;
  });
}
