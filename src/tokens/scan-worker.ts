import { parentPort, workerData } from 'node:worker_threads';
import { scanFile, type ScanOutcome, type ScanTask } from './scan.js';

/**
 * A scan worker: reads its share of the transcript files of a first (large) ingestion and posts
 * the entries back, transferring their number columns instead of copying them.
 */
const tasks = workerData as ScanTask[];
const outcomes: ScanOutcome[] = tasks.map(scanFile);
parentPort?.postMessage(
  outcomes,
  // slice() gave each column an ArrayBuffer of its own, never a shared one.
  outcomes.flatMap((o) => [o.batch.numbers.buffer as ArrayBuffer, o.batch.refs.buffer as ArrayBuffer]),
);
