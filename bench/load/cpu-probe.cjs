// Preloaded into the bare autocannon CLI (node --require bench/load/cpu-probe.cjs autocannon.js ...)
// to report the CPU it used while driving load, as perfsop reports its own generator's share. The
// first setImmediate runs once the CLI's main module has loaded and started its connections, so
// node's and autocannon's start-up are left out. Writes {cpuMs, wallMs} to $BENCH_CPU_OUT at exit.
'use strict';
const { writeFileSync } = require('node:fs');

let startCpu;
let startWall;
setImmediate(() => {
  startCpu = process.cpuUsage();
  startWall = performance.now();
});
process.on('exit', () => {
  if (!process.env.BENCH_CPU_OUT || !startCpu) return;
  const cpu = process.cpuUsage(startCpu);
  writeFileSync(process.env.BENCH_CPU_OUT, JSON.stringify({ cpuMs: (cpu.user + cpu.system) / 1000, wallMs: performance.now() - startWall }));
});
