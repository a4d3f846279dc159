import { redact } from './secrets.js';

// All diagnostics go to stderr: in stdio mode stdout carries only protocol messages.
const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
type Level = keyof typeof LEVELS;

function threshold(): number {
  const wanted = (process.env.PERFSOP_LOG_LEVEL ?? 'info').toLowerCase();
  return wanted in LEVELS ? LEVELS[wanted as Level] : LEVELS.info;
}

function write(level: Exclude<Level, 'silent'>, message: string, detail?: unknown): void {
  if (LEVELS[level] < threshold()) return;
  const suffix = detail === undefined ? '' : ` ${detail instanceof Error ? (detail.stack ?? detail.message) : JSON.stringify(detail)}`;
  process.stderr.write(redact(`perfsop ${level}: ${message}${suffix}\n`));
}

export const log = {
  debug: (message: string, detail?: unknown) => write('debug', message, detail),
  info: (message: string, detail?: unknown) => write('info', message, detail),
  warn: (message: string, detail?: unknown) => write('warn', message, detail),
  error: (message: string, detail?: unknown) => write('error', message, detail),
};
