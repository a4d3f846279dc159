import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { locateChildScript } from '../load/child-script.js';
import { forgetOnKill, removeOnKill } from '../load/process-group.js';
import { onMessages, type AgentMessage, type Command, type Final, type Hello, type Tick } from './agent-protocol.cjs';

export interface AgentConnection {
  hello: Hello;
  ticks: Tick[];
  final?: Final;
  socket: Socket;
}

/** How the agent sockets of perfsop process `pid` are named in the OS temp folder, up to their random part. */
export function agentSocketPrefix(pid: number): string {
  return `perfsop-agent-${pid}-`;
}

/**
 * perfsop's end of the agent protocol: a Unix socket the agents in the service's processes connect
 * to (a wrapper such as `npm start` or `sh -c` gets an agent too; the process that serves requests
 * is the one that matters). Closing the session closes the sockets, which makes the agents exit
 * their processes: nothing profiled outlives the analysis, even if perfsop dies.
 */
export class AgentSession {
  readonly socketPath: string;
  private readonly server: Server;
  private readonly agents = new Map<number, AgentConnection>();
  private readonly waiters = new Set<() => void>();

  private constructor(socketPath: string, server: Server) {
    this.socketPath = socketPath;
    this.server = server;
  }

  static async open(): Promise<AgentSession> {
    // /tmp keeps the path under the 108-byte limit of Unix socket names, whatever PERFSOP_HOME is.
    const socketPath = join(tmpdir(), `${agentSocketPrefix(process.pid)}${randomBytes(6).toString('hex')}.sock`);
    const server = createServer();
    const session = new AgentSession(socketPath, server);
    server.on('connection', (socket) => session.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => resolve());
    });
    // A kill -9 skips close(): the reaper removes the socket file then.
    removeOnKill(socketPath);
    return session;
  }

  /** Environment that injects the agent into a Node process started with it. */
  environment(outDir: string, existingNodeOptions = process.env.NODE_OPTIONS): Record<string, string> {
    const agent = locateChildScript('../profile/agent.cjs', 'PERFSOP_AGENT');
    // --expose-gc lets the agent collect before measuring retained memory (leak detection).
    const require = `--require ${JSON.stringify(agent)} --expose-gc`;
    return {
      NODE_OPTIONS: existingNodeOptions ? `${existingNodeOptions} ${require}` : require,
      PERFSOP_AGENT_SOCKET: this.socketPath,
      PERFSOP_AGENT_DIR: outDir,
    };
  }

  get connections(): AgentConnection[] {
    return [...this.agents.values()];
  }

  /** Waits until at least one agent has said hello. */
  async waitForAgent(timeoutMs: number, signal: AbortSignal): Promise<void> {
    await this.waitFor(() => this.agents.size > 0, timeoutMs, signal);
  }

  broadcast(command: Command): void {
    for (const agent of this.agents.values()) if (!agent.socket.destroyed) agent.socket.write(`${JSON.stringify(command)}\n`);
  }

  /** Sends `stop` and waits for every connected agent's final report (or the timeout). */
  async stop(timeoutMs: number, signal: AbortSignal): Promise<Final[]> {
    this.broadcast({ type: 'stop' });
    const live = () => [...this.agents.values()].filter((a) => !a.socket.destroyed);
    await this.waitFor(() => live().every((a) => a.final !== undefined), timeoutMs, signal).catch(() => undefined);
    return [...this.agents.values()].flatMap((a) => (a.final ? [a.final] : []));
  }

  close(): void {
    for (const agent of this.agents.values()) agent.socket.destroy();
    this.server.close();
    rmSync(this.socketPath, { force: true });
    forgetOnKill(this.socketPath);
  }

  private accept(socket: Socket): void {
    let connection: AgentConnection | undefined;
    onMessages<AgentMessage>(socket, (message) => {
      if (message.type === 'hello') {
        connection = { hello: message, ticks: [], socket };
        this.agents.set(message.pid, connection);
      } else if (connection && message.type === 'tick') connection.ticks.push(message);
      else if (connection && message.type === 'final') connection.final = message;
      this.notify();
    });
    socket.on('error', () => {});
    socket.on('close', () => this.notify());
  }

  private notify(): void {
    for (const waiter of this.waiters) waiter();
  }

  private waitFor(condition: () => boolean, timeoutMs: number, signal: AbortSignal): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (signal.aborted) return done(new Error('cancelled'));
        if (condition()) done();
      };
      const timer = setTimeout(() => done(new Error('timed out waiting for the profiling agent')), timeoutMs);
      const done = (error?: Error) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        signal.removeEventListener('abort', check);
        if (error) reject(error);
        else resolve();
      };
      this.waiters.add(check);
      signal.addEventListener('abort', check);
    });
  }
}
