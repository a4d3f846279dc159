import { Session } from 'node:inspector/promises';

/** The raw V8 CPU profile (what `node --cpu-prof` writes) of `work`, recorded in this process. */
export async function recordCpuProfile(work: () => void): Promise<unknown> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
    work();
    return (await session.post('Profiler.stop')).profile;
  } finally {
    session.disconnect();
  }
}
