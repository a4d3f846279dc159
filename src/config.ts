import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { InputError } from './errors.js';

export const DEFAULT_MAX_VALUE_BYTES = 1024 * 1024;

const MemoryConfig = z
  .object({
    maxValueBytes: z.number().int().positive().max(64 * 1024 * 1024).default(DEFAULT_MAX_VALUE_BYTES),
    sweepIntervalSeconds: z.number().positive().max(86_400).default(60),
  })
  .strict();

const PolicyConfig = z
  .object({
    allowAdhocCommands: z.boolean().default(false),
    allowedHosts: z.array(z.string().min(1)).default(['127.0.0.1', 'localhost', '::1']),
  })
  .strict();

// Components and suites are described in DESIGN.md; the tools that read them validate their own part.
export const ConfigSchema = z
  .object({
    $schema: z.string().optional(),
    components: z.record(z.string(), z.unknown()).default({}),
    suites: z.record(z.string(), z.unknown()).default({}),
    policy: PolicyConfig.default({ allowAdhocCommands: false, allowedHosts: ['127.0.0.1', 'localhost', '::1'] }),
    memory: MemoryConfig.default({ maxValueBytes: DEFAULT_MAX_VALUE_BYTES, sweepIntervalSeconds: 60 }),
  })
  .strict();

export type Config = z.infer<typeof ConfigSchema> & { path: string | undefined };

/** `--config`, else `PERFSOP_CONFIG`, else `perfsop.config.json` in the working directory, else defaults. */
export function loadConfig(explicitPath?: string, env: NodeJS.ProcessEnv = process.env): Config {
  const given = explicitPath ?? env.PERFSOP_CONFIG;
  const path = resolve(given ?? 'perfsop.config.json');
  if (!existsSync(path)) {
    if (given) throw new InputError('config', `config file not found: ${path}`);
    return applyEnv({ ...ConfigSchema.parse({}), path: undefined }, env);
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
  return applyEnv({ ...parsed.data, path }, env);
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
