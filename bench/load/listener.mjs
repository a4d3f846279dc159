// The body of perfsop's per-response listener (src/load/http-load.ts, runHttpLoad), rebuilt on the
// built LogHistogram so its cost can be measured apart from autocannon and from perfsop's process:
// two histogram records (the run's and the current second's), counters and a status-code map.
import { LogHistogram } from '../../dist/src/stats/log-histogram.js';

export function perfsopListener() {
  const histogram = new LogHistogram();
  const slice = { requests: 0, bytes: 0, non2xx: 0, histogram: new LogHistogram() };
  const statusCodes = {};
  return (_client, statusCode, bytes, latencyMs) => {
    histogram.record(latencyMs);
    slice.histogram.record(latencyMs);
    slice.requests += 1;
    slice.bytes += bytes;
    if (statusCode < 200 || statusCode >= 300) slice.non2xx += 1;
    statusCodes[statusCode] = (statusCodes[statusCode] ?? 0) + 1;
  };
}
