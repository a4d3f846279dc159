#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { InputError, errorMessage } from './errors.js';
import { log } from './log.js';
import { PACKAGE_ROOT, VERSION } from './version.js';

const USAGE = `perfsop ${VERSION}: real performance tools over MCP

Usage:
  perfsop                          serve MCP over stdio (what MCP clients start)
  perfsop --http [--host 127.0.0.1] [--port 3100] [--token T]
                                   serve Streamable HTTP at /mcp and legacy SSE at /sse + /messages
  perfsop call <tool> ['<json>']   run one tool in-process and print its text result
                                   (--json prints structuredContent; exit 1 when the tool reports an error)
  perfsop tools                    list the tools
  perfsop demo [--db FILE]         run SOP-008 on the bundled checkout service through a real MCP client
  perfsop mcp-config               print an mcpServers entry with absolute paths (Claude Desktop)

Options:
  --db PATH              database file (default $PERFSOP_DB, else $PERFSOP_HOME/perfsop.db, ~/.perfsop)
  --config PATH          perfsop.config.json (default $PERFSOP_CONFIG, else ./perfsop.config.json)
  --allowed-origin URL   HTTP: also accept this Origin (repeatable)
  --allowed-host H:P     HTTP: also accept this Host header (repeatable)
  -h, --help, -v, --version`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      http: { type: 'boolean' },
      host: { type: 'string' },
      port: { type: 'string' },
      token: { type: 'string' },
      'allowed-origin': { type: 'string', multiple: true },
      'allowed-host': { type: 'string', multiple: true },
      db: { type: 'string' },
      config: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  });
  if (values.help) return print(USAGE);
  if (values.version) return print(VERSION);

  const [command, ...rest] = positionals;
  if (command === 'mcp-config') return print(mcpConfig());
  // Imported here so --help, --version and mcp-config answer without loading the server.
  const { App } = await import('./app.js');
  const app = new App({ configPath: values.config, dbPath: values.db });
  if (app.configProblem) log.warn(`${app.configProblem}; tools that need the config will report it`);

  if (command === 'call') {
    const { callTool } = await import('./commands/call.js');
    return callTool(app, rest, { json: values.json ?? false });
  }
  if (command === 'demo') {
    app.close();
    const { runDemo } = await import('./commands/demo.js');
    return runDemo(values.db ? { dbPath: values.db } : {});
  }
  if (command === 'tools') {
    const { TOOLS } = await import('../tools/index.js');
    return print(TOOLS.map((tool) => `${tool.name.padEnd(20)} ${tool.title}`).join('\n'));
  }
  if (command !== undefined) throw new InputError(undefined, `unknown command "${command}"\n\n${USAGE}`);

  if (values.http) {
    const { serveHttp } = await import('./transports/http.js');
    const running = await serveHttp(app, {
      host: values.host ?? '127.0.0.1',
      port: parsePort(values.port ?? process.env.PERFSOP_PORT ?? '3100'),
      token: values.token ?? process.env.PERFSOP_TOKEN ?? undefined,
      allowedOrigins: values['allowed-origin'],
      allowedHosts: values['allowed-host'],
    });
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        log.info(`${signal}: shutting down`);
        void running.close().finally(resolve);
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
    app.close();
    return 0;
  }

  const { serveStdio } = await import('./transports/stdio.js');
  await serveStdio(app);
  app.close();
  return 0;
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InputError('port', `--port must be 0-65535, got "${text}"`);
  return port;
}

function mcpConfig(): string {
  const entry = { command: process.execPath, args: [`${PACKAGE_ROOT}/dist/src/cli.js`] };
  return JSON.stringify({ mcpServers: { perfsop: entry } }, null, 2);
}

function print(text: string): number {
  process.stdout.write(`${text}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const field = error instanceof InputError && error.field ? `${error.field}: ` : '';
    process.stderr.write(`perfsop: ${field}${errorMessage(error)}\n`);
    if (!(error instanceof InputError)) log.debug('stack', error);
    process.exitCode = 2;
  },
);
