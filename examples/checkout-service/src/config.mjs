// Everything the service reads from the environment, in one place.

function flag(value) {
  return value === '1' || value === 'true' || value === 'yes';
}

export function readConfig(env = process.env) {
  const port = env.PORT === undefined || env.PORT === '' ? 3000 : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be 0-65535, got ${env.PORT}`);
  return {
    port,
    optimized: flag(env.OPTIMIZED),
    dbPath: env.DB_PATH || undefined,
    logLevel: env.LOG_LEVEL || 'info',
  };
}
