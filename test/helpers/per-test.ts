import { afterEach } from 'vitest';
import { connectWithConfig, type Connected } from './mcp.js';
import { startFixtureServer, type FixtureServer } from './processes.js';

/**
 * Fixture HTTP servers and one perfsop connection for each test of a file, all stopped after the
 * test however it ended, so a failed assertion leaves no server or child process behind.
 */
export function perTest() {
  const servers: FixtureServer[] = [];
  let connected: Connected | undefined;
  afterEach(async () => {
    await connected?.close();
    connected = undefined;
    await Promise.all(servers.splice(0).map((s) => s.stop()));
  });

  /** Connects with `connect`; the connection this test opened before is closed first. */
  async function use(connect: () => Promise<Connected>): Promise<Connected> {
    await connected?.close();
    connected = undefined;
    connected = await connect();
    return connected;
  }

  return {
    async fixture(env: Record<string, string> = {}, script?: string): Promise<FixtureServer> {
      const server = await startFixtureServer(env, script);
      servers.push(server);
      return server;
    },
    /** perfsop in this process with `config` written to its config file. */
    open: (config: object = {}) => use(() => connectWithConfig(config)),
    use,
  };
}
