#!/usr/bin/env node
// One in-process load run, for bench/load/run.mjs's breakdown of where a load generator's CPU goes.
// Started as a fresh process per run, like the autocannon CLI, so every mode starts equally cold.
//
//   node bench/load/driver.mjs <mode> <url> <connections> <durationS>
//
// Modes, each adding one thing to the one before:
//   bare        autocannon's programmatic API, no listener (what the CLI runs, without its output)
//   noop        + a 'response' listener that does nothing (the cost of autocannon emitting to it)
//   histograms  + the listener body perfsop uses (bench/load/listener.mjs): two LogHistogram.record
//               calls, counters, a status-code map
//   perfsop     perfsop's own runHttpLoad from dist/ (the listener, a 'tick' listener, slices)
//
// Each mode runs twice in the process: first cold (the process's first load, as for the CLI, a fresh
// process every run), then warm (JIT-compiled, as for benchmark_run on a long-lived perfsop).
//
// Prints one JSON line: {mode, cold, warm}, each {requests, durationS, cpuMs, wallMs}. CPU is
// process.cpuUsage() around each run only; imports and node's start-up are left out.
import autocannon from 'autocannon';
import { runHttpLoad } from '../../dist/src/load/http-load.js';
import { perfsopListener } from './listener.mjs';

const [mode, url, connectionsText, durationText] = process.argv.slice(2);
const connections = Number(connectionsText);

function runAutocannon(options, attach) {
  return new Promise((resolve, reject) => {
    const instance = autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
    attach(instance);
  });
}

async function measure(duration) {
  const options = { url, connections, duration, pipelining: 1 };
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  let requests;
  let durationS;
  if (mode === 'perfsop') {
    const result = await runHttpLoad(
      { ...options, method: 'GET', headers: {}, timeoutS: 10 },
      { signal: new AbortController().signal },
    );
    requests = result.requests;
    durationS = result.durationS;
  } else {
    const result = await runAutocannon(options, (instance) => {
      if (mode === 'noop') instance.on('response', () => {});
      if (mode === 'histograms') instance.on('response', perfsopListener());
    });
    requests = result.requests.total;
    durationS = result.duration;
  }
  const cpu = process.cpuUsage(cpuStart);
  return { requests, durationS, cpuMs: (cpu.user + cpu.system) / 1000, wallMs: performance.now() - wallStart };
}

if (!['bare', 'noop', 'histograms', 'perfsop'].includes(mode)) {
  process.stderr.write(`unknown mode "${mode}"\n`);
  process.exit(2);
}
const cold = await measure(Number(durationText));
const warm = await measure(Number(durationText));
process.stdout.write(`${JSON.stringify({ mode, cold, warm })}\n`);
