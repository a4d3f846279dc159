// Preloaded into `perfsop call` (node --require bench/profile/rss-probe.cjs dist/src/cli.js ...) to
// report the process's peak resident memory and CPU: writes {maxRssMb, cpuMs} to $BENCH_PROBE_OUT
// at exit.
'use strict';
const { writeFileSync } = require('node:fs');

process.on('exit', () => {
  if (!process.env.BENCH_PROBE_OUT) return;
  const usage = process.resourceUsage();
  writeFileSync(process.env.BENCH_PROBE_OUT, JSON.stringify({ maxRssMb: usage.maxRSS / 1024, cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000 }));
});
