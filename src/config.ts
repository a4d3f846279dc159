import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { InputError } from './errors.js';

export const DEFAULT_MAX_VALUE_BYTES = 1024 * 1024;
export const DEFAULT_MAX_ARTIFACT_BYTES = 256 * 1024 * 1024;

/** Names of environment variables whose values are secret, on top of the names that look secret (see src/secrets.ts). */
const SecretEnv = z.array(z.string().min(1));

const MemoryConfig = z
  .object({
    maxValueBytes: z.number().int().positive().max(64 * 1024 * 1024).default(DEFAULT_MAX_VALUE_BYTES),
    sweepIntervalSeconds: z.number().positive().max(86_400).default(60),
  })
  .strict();

/** What perfsop may run and where it may send load, with caps a wrong or manipulated model cannot exceed. */
const PolicyConfig = z
  .object({
    allowAdhocCommands: z.boolean().default(false),
    allowedHosts: z.array(z.string().min(1)).default(['127.0.0.1', 'localhost', '::1']),
    maxDuration: z.number().positive().max(86_400).default(600),
    maxConnections: z.number().int().positive().max(100_000).default(1000),
    maxIterations: z.number().int().positive().max(1_000_000).default(10_000),
    maxAmount: z.number().int().positive().default(10_000_000),
    maxWorkers: z.number().int().positive().max(256).default(16),
    /** Bytes any one file perfsop writes may hold: a captured service log stops there, a bigger profile is dropped. */
    maxArtifactBytes: z.number().int().min(1024).default(DEFAULT_MAX_ARTIFACT_BYTES),
  })
  .strict();

/**
 * A model's prices with the field names of LiteLLM's model_prices_and_context_window.json (USD per
 * token), so an entry can be pasted from that file. A model perfsop ships a price for keeps the
 * fields not given here.
 */
export const ModelPriceSchema = z
  .object({
    input_cost_per_token: z.number().min(0).optional(),
    output_cost_per_token: z.number().min(0).optional(),
    cache_creation_input_token_cost: z.number().min(0).optional(),
    cache_creation_input_token_cost_above_1hr: z.number().min(0).optional(),
    cache_read_input_token_cost: z.number().min(0).optional(),
    input_cost_per_token_above_200k_tokens: z.number().min(0).optional(),
    output_cost_per_token_above_200k_tokens: z.number().min(0).optional(),
    cache_creation_input_token_cost_above_200k_tokens: z.number().min(0).optional(),
    cache_creation_input_token_cost_above_1hr_above_200k_tokens: z.number().min(0).optional(),
    cache_read_input_token_cost_above_200k_tokens: z.number().min(0).optional(),
    // Informational fields of the LiteLLM file, accepted so entries can be copied unchanged.
    litellm_provider: z.string().optional(),
    mode: z.string().optional(),
    max_tokens: z.number().optional(),
    max_input_tokens: z.number().optional(),
    max_output_tokens: z.number().optional(),
  })
  .strict();

const TokensConfig = z
  .object({
    /** Per-model price overrides, keyed by the model name as transcripts and recorded usage give it. */
    pricing: z.record(z.string().min(1), ModelPriceSchema).default({}),
  })
  .strict();

const Body = z.union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())]);
const Headers = z.record(z.string(), z.string());

export const RequestSchema = z
  .object({
    method: z.string().min(1).optional(),
    path: z.string().startsWith('/'),
    headers: Headers.optional(),
    body: Body.optional(),
  })
  .strict();

/** autocannon options a component or benchmark may set; unset ones take the call's or the defaults. */
export const LoadSchema = z
  .object({
    connections: z.number().int().positive().optional(),
    duration: z.number().positive().optional(),
    amount: z.number().int().positive().optional(),
    pipelining: z.number().int().positive().max(100).optional(),
    workers: z.number().int().positive().optional(),
    method: z.string().min(1).optional(),
    headers: Headers.optional(),
    body: Body.optional(),
    requests: z.array(RequestSchema).min(1).optional(),
    timeout: z.number().positive().optional(),
    warmup: z.number().min(0).optional(),
  })
  .strict();

export const ThresholdsSchema = z
  .object({
    p50_ms: z.number().positive().optional(),
    p95_ms: z.number().positive().optional(),
    p99_ms: z.number().positive().optional(),
    min_rps: z.number().positive().optional(),
    max_error_rate: z.number().min(0).max(1).optional(),
    max_mean_ms: z.number().positive().optional(),
  })
  .strict();

const ComponentSchema = z
  .object({
    command: z.string().min(1).optional(),
    cwd: z.string().default('.'),
    env: z.record(z.string(), z.string()).default({}),
    secretEnv: SecretEnv.default([]),
    url: z.url({ protocol: /^https?$/ }),
    ready: z.string().startsWith('/').default('/'),
    readyTimeout: z.number().positive().max(600).default(30),
    load: LoadSchema.default({}),
  })
  .strict();

const BenchmarkBase = { name: z.string().min(1).max(200), thresholds: ThresholdsSchema.optional(), noise_pct: z.number().positive().max(100).optional() };

export const BenchmarkSchema = z.discriminatedUnion('type', [
  z.object({ ...BenchmarkBase, type: z.literal('http'), component: z.string().optional(), url: z.url().optional(), load: LoadSchema.optional() }).strict(),
  z
    .object({
      ...BenchmarkBase,
      type: z.literal('command'),
      command: z.string().min(1),
      cwd: z.string().optional(),
      env: z.record(z.string(), z.string()).optional(),
      secretEnv: SecretEnv.optional(),
      iterations: z.number().int().positive().optional(),
      warmup: z.number().int().min(0).optional(),
    })
    .strict(),
  z
    .object({
      ...BenchmarkBase,
      type: z.literal('micro'),
      module: z.string().min(1),
      cwd: z.string().optional(),
      iterations: z.number().int().positive().optional(),
      functions: z.array(z.string()).optional(),
    })
    .strict(),
]);

const SuiteSchema = z
  .object({
    description: z.string().optional(),
    benchmarks: z.array(BenchmarkSchema).min(1),
    thresholds: ThresholdsSchema.optional(),
  })
  .strict();

export const ConfigSchema = z
  .object({
    $schema: z.string().optional(),
    components: z.record(z.string(), ComponentSchema).default({}),
    suites: z.record(z.string(), SuiteSchema).default({}),
    policy: PolicyConfig.prefault({}),
    memory: MemoryConfig.prefault({}),
    tokens: TokensConfig.prefault({}),
  })
  .strict();

export type ComponentConfig = z.infer<typeof ComponentSchema>;
export type BenchmarkConfig = z.infer<typeof BenchmarkSchema>;
export type SuiteConfig = z.infer<typeof SuiteSchema>;
export type LoadConfig = z.infer<typeof LoadSchema>;
export type Thresholds = z.infer<typeof ThresholdsSchema>;
export type PolicyConfig = z.infer<typeof PolicyConfig>;
export type ModelPriceConfig = z.infer<typeof ModelPriceSchema>;

/** `path` is the file read, if any; `baseDir` is what relative paths in it are relative to. */
export type Config = z.infer<typeof ConfigSchema> & { path: string | undefined; baseDir: string };

/**
 * The suite or component a caller names, or undefined: own entries only, so a name such as
 * "__proto__" or "constructor" finds nothing instead of Object.prototype (found by fuzzing:
 * suite "constructor" failed with "suite.benchmarks is not iterable").
 */
export function configEntry<T>(record: Record<string, T>, name: string): T | undefined {
  return Object.hasOwn(record, name) ? record[name] : undefined;
}

/** `--config`, else `PERFSOP_CONFIG`, else `perfsop.config.json` in the working directory, else defaults. */
export function loadConfig(explicitPath?: string, env: NodeJS.ProcessEnv = process.env): Config {
  const given = explicitPath ?? env.PERFSOP_CONFIG;
  const path = resolve(given ?? 'perfsop.config.json');
  if (!existsSync(path)) {
    if (given) throw new InputError('config', `config file not found: ${path}`);
    return applyEnv({ ...ConfigSchema.parse({}), path: undefined, baseDir: process.cwd() }, env);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new InputError('config', `${path} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new InputError('config', `${path} is invalid: ${problems.join('; ')}`);
  }
  // Relative paths in the file (component cwd, commands, modules) are relative to the file, not to
  // wherever an MCP client happened to start perfsop.
  return applyEnv({ ...parsed.data, path, baseDir: dirname(path) }, env);
}

// An environment override lets tests and one-off runs change a limit without writing a config file.
function applyEnv(config: Config, env: NodeJS.ProcessEnv): Config {
  const maxValue = env.PERFSOP_MAX_VALUE_BYTES;
  if (maxValue !== undefined) {
    const bytes = Number(maxValue);
    if (!Number.isInteger(bytes) || bytes <= 0) {
      throw new InputError('PERFSOP_MAX_VALUE_BYTES', `must be a positive integer number of bytes, got "${maxValue}"`);
    }
    config.memory.maxValueBytes = bytes;
  }
  const sweep = env.PERFSOP_SWEEP_SECONDS;
  if (sweep !== undefined) {
    const seconds = Number(sweep);
    if (!(seconds > 0)) throw new InputError('PERFSOP_SWEEP_SECONDS', `must be a positive number, got "${sweep}"`);
    config.memory.sweepIntervalSeconds = seconds;
  }
  return config;
}
