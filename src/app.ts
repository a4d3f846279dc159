import { loadConfig, type Config, type LoadConfig } from './config.js';
import { errorMessage } from './errors.js';
import { log } from './log.js';
import { registerSecretEnv, redactHeaders } from './secrets.js';
import { artifactsDir, databasePath } from './paths.js';
import { openDatabase, type Db } from './store/db.js';
import { MemoryStore } from './store/memory.js';
import { ToolCallLog } from './store/tool-calls.js';
import { TokenStore } from './store/tokens.js';
import { TokenAccounting } from './tokens/accounting.js';
import { Pricing } from './tokens/pricing.js';

export interface AppOptions {
  configPath?: string;
  dbPath?: string;
  env?: NodeJS.ProcessEnv;
  /** The clock TTLs are measured against; tests pass a controllable one. */
  now?: () => number;
  /** Bytes to read before token ingestion uses worker threads (tests lower it to exercise them). */
  tokenWorkerMinBytes?: number;
}

/**
 * What every tool of one perfsop process shares: configuration and the database. The database
 * opens on first use, so `tools/list` answers without touching the disk.
 */
export class App {
  readonly dbPath: string;
  readonly artifactsDir: string;
  private database: Db | undefined;
  private memoryStore: MemoryStore | undefined;
  private tokenAccounting: TokenAccounting | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  private readonly env: NodeJS.ProcessEnv;
  private readonly tokenWorkerMinBytes: number | undefined;
  private readonly loaded: { config: Config } | { problem: unknown };
  /** Every tool call served, for performance_report; written in batches. */
  readonly toolCalls = new ToolCallLog(() => this.db);

  constructor(options: AppOptions = {}) {
    const env = options.env ?? process.env;
    this.env = env;
    this.now = options.now ?? Date.now;
    this.tokenWorkerMinBytes = options.tokenWorkerMinBytes;
    // A broken config file must not take the server down: tools/list still answers, and every
    // tool that needs the config says exactly what is wrong with it.
    try {
      this.loaded = { config: loadConfig(options.configPath, env) };
      registerConfigSecrets(this.loaded.config, env);
    } catch (problem) {
      this.loaded = { problem };
    }
    this.dbPath = options.dbPath ?? databasePath(env);
    this.artifactsDir = artifactsDir(env);
  }

  get config(): Config {
    if ('problem' in this.loaded) throw this.loaded.problem;
    return this.loaded.config;
  }

  /** The reason the config could not be loaded, for a warning at start-up. */
  get configProblem(): string | undefined {
    return 'problem' in this.loaded ? errorMessage(this.loaded.problem) : undefined;
  }

  get db(): Db {
    if (!this.database) {
      this.database = openDatabase(this.dbPath);
      log.debug(`database open: ${this.dbPath}`);
      this.startSweeper();
    }
    return this.database;
  }

  get memory(): MemoryStore {
    this.memoryStore ??= new MemoryStore(this.db, { maxValueBytes: this.config.memory.maxValueBytes }, this.now);
    return this.memoryStore;
  }

  /** Token accounting; transcripts are found through this app's environment (CLAUDE_CONFIG_DIR, HOME). */
  get tokens(): TokenAccounting {
    this.tokenAccounting ??= new TokenAccounting(new TokenStore(this.db), {
      env: this.env,
      now: this.now,
      pricing: () => new Pricing(this.config.tokens.pricing),
      workerMinBytes: this.tokenWorkerMinBytes,
    });
    return this.tokenAccounting;
  }

  close(): void {
    this.toolCalls.flush();
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
    this.memoryStore?.close();
    this.memoryStore = undefined;
    this.tokenAccounting = undefined;
    this.database?.close();
    this.database = undefined;
  }

  // Expired entries are already invisible to reads; this reclaims their space on disk.
  private startSweeper(): void {
    const sweep = () => {
      try {
        const removed = this.memory.sweepExpired();
        if (removed > 0) log.debug(`removed ${removed} expired memory entries`);
      } catch (error) {
        log.warn('expired-entry sweep failed; will retry', error);
      }
    };
    sweep();
    this.sweeper = setInterval(sweep, this.config.memory.sweepIntervalSeconds * 1000);
    this.sweeper.unref();
  }
}

/**
 * Registers every secret the config and the environment hold before anything runs, so even an
 * error at start-up cannot echo one: secret env of components and command benchmarks, credential
 * headers of configured loads, and perfsop's own variables that look secret (components inherit them).
 */
function registerConfigSecrets(config: Config, env: NodeJS.ProcessEnv): void {
  registerSecretEnv(process.env);
  if (env !== process.env) registerSecretEnv(env);
  const loads: Array<LoadConfig | undefined> = [];
  for (const component of Object.values(config.components)) {
    registerSecretEnv(component.env, component.secretEnv);
    loads.push(component.load);
  }
  for (const suite of Object.values(config.suites)) {
    for (const benchmark of suite.benchmarks) {
      if (benchmark.type === 'command' && benchmark.env) registerSecretEnv(benchmark.env, benchmark.secretEnv);
      if (benchmark.type === 'http') loads.push(benchmark.load);
    }
  }
  for (const load of loads) {
    if (load?.headers) redactHeaders(load.headers);
    for (const request of load?.requests ?? []) if (request.headers) redactHeaders(request.headers);
  }
}
