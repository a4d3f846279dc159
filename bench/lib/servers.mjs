// The three MCP servers the benchmarks compare, all spawned as `node <script>` over stdio and all
// built on the same @modelcontextprotocol/sdk install, so only the servers' own work differs.
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const require = createRequire(import.meta.url);

/** server-memory's entry point, read from its package.json `bin` so an upgrade cannot break it. */
function serverMemoryScript() {
  const manifestPath = require.resolve('@modelcontextprotocol/server-memory/package.json');
  const { bin } = require(manifestPath);
  const relative = typeof bin === 'string' ? bin : Object.values(bin)[0];
  return join(dirname(manifestPath), relative);
}

export const SERVERS = {
  perfsop: {
    label: 'perfsop',
    script: join(ROOT, 'dist/src/cli.js'),
    env: (dbPath) => ({ PERFSOP_DB: dbPath, PERFSOP_LOG_LEVEL: 'silent' }),
  },
  echo: {
    label: 'echo',
    script: join(ROOT, 'bench/memory/echo-server.mjs'),
    env: (workMicroseconds) => (workMicroseconds ? { ECHO_WORK_US: String(workMicroseconds) } : {}),
  },
  /** echo answering in the shape of a perfsop retrieve (see echo-server.mjs): the floor for structured replies. */
  echoStructured: {
    label: 'echo, structured reply',
    script: join(ROOT, 'bench/memory/echo-server.mjs'),
    env: () => ({ ECHO_STRUCTURED: '1' }),
  },
  serverMemory: {
    label: 'server-memory',
    get script() {
      return serverMemoryScript();
    },
    env: (filePath) => ({ MEMORY_FILE_PATH: filePath }),
  },
};

/**
 * Spawns `node <script>` and completes the MCP handshake. stderr is kept (last 4 KB) instead of
 * printed: server-memory announces itself on every start, and a failure should show what the
 * server said. The returned close() ends the child and is also registered with `resources`.
 */
export async function connect(resources, server, envValue) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [...(server.nodeArgs ?? []), server.script],
    env: server.env(envValue),
    cwd: ROOT,
    stderr: 'pipe',
  });
  let stderrTail = '';
  transport.stderr.on('data', (chunk) => {
    stderrTail = (stderrTail + chunk).slice(-4096);
  });
  const client = new Client({ name: 'perfsop-bench', version: '1.0.0' });
  const close = resources.add(() => client.close());
  try {
    await client.connect(transport);
  } catch (error) {
    await close();
    throw new Error(`${server.label} did not start: ${error.message}\n${stderrTail}`);
  }
  return {
    label: server.label,
    client,
    close,
    /** Calls a tool; throws with the server's message when it answers with an error. */
    async call(name, args) {
      const result = await client.callTool({ name, arguments: args });
      if (result.isError) throw new Error(`${server.label} ${name} failed: ${result.content?.[0]?.text ?? '?'}`);
      return result;
    },
  };
}
