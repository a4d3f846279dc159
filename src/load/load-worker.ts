/**
 * A load generator process for `workers` > 1: one autocannon instance driving its share of the
 * connections, reporting each one-second slice to the parent over IPC. One process saturates one
 * core; several let the generator keep up with a fast target.
 */
import { runHttpLoad, type HttpLoadSpec } from './http-load.js';
import type { LogHistogramJSON } from '../stats/log-histogram.js';

export type WorkerRequest = { type: 'start'; spec: HttpLoadSpec } | { type: 'stop' };

export interface SliceMessage {
  seconds: number;
  requests: number;
  errors: number;
  non2xx: number;
  bytes: number;
  histogram: LogHistogramJSON;
}

export type WorkerMessage =
  | { type: 'slice'; index: number; slice: SliceMessage }
  | {
      type: 'result';
      timeouts: number;
      statusCodes: Record<string, number>;
      errorMessages: Record<string, number>;
      durationS: number;
      generator: { cpuMs: number; wallMs: number };
    }
  | { type: 'error'; message: string };

function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => process.send!(message, () => resolve()));
}

if (process.send) {
  const controller = new AbortController();
  process.on('message', (message: WorkerRequest) => {
    if (message.type === 'stop') controller.abort();
    if (message.type !== 'start') return;
    runHttpLoad(message.spec, {
      signal: controller.signal,
      onSlice: (slice, index) => {
        const { histogram, ...counts } = slice;
        void send({ type: 'slice', index, slice: { ...counts, histogram: histogram.toJSON() } });
      },
    })
      .then((result) =>
        send({
          type: 'result',
          timeouts: result.timeouts,
          statusCodes: result.statusCodes,
          errorMessages: result.errorMessages,
          durationS: result.durationS,
          generator: result.generator,
        }),
      )
      .catch((error: unknown) => send({ type: 'error', message: error instanceof Error ? error.message : String(error) }))
      .finally(() => process.disconnect());
  });
  // The parent going away ends the load too.
  process.on('disconnect', () => controller.abort());
}
