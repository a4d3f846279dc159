// One fresh process that runs the steps of bottleneck_analyze's offline path on a .cpuprofile, in
// the order the tool runs them (src/analyze/bottleneck-analysis.ts analyzeOffline), each timed on
// its own: read the file, JSON.parse, parseCpuProfile (shape check), analyzeCpuProfile, the
// findings, and the flame graph page. Prints one JSON line: milliseconds per step, peak RSS.
//
//   node bench/profile/analyze-file.mjs <file.cpuprofile> <appRoot>
import { readFileSync } from 'node:fs';
import { analyzeCpuProfile } from '../../dist/src/analyze/cpu-profile.js';
import { METRICS, detectFindings } from '../../dist/src/analyze/findings.js';
import { parseCpuProfile } from '../../dist/src/profile/cpuprofile.js';
import { renderFlameGraph } from '../../dist/src/report/flamegraph.js';

const [file, appRoot] = process.argv.slice(2);
if (!file || !appRoot) throw new Error('usage: node bench/profile/analyze-file.mjs <file.cpuprofile> <appRoot>');

const ms = {};
let last = process.hrtime.bigint();
const lap = (name) => {
  const now = process.hrtime.bigint();
  ms[name] = Number(now - last) / 1e6;
  last = now;
};

const text = readFileSync(file, 'utf8');
lap('read');
const json = JSON.parse(text);
lap('parse');
const profile = parseCpuProfile(json);
lap('validate');
const analysis = analyzeCpuProfile(profile);
lap('analyze');
const findings = detectFindings({ metrics: new Set(METRICS), appRoot, profile: analysis, ticks: [] });
lap('findings');
const html = renderFlameGraph(profile, { title: 'offline profile', subtitle: file, appRoot });
lap('flamegraph');

process.stdout.write(
  `${JSON.stringify({
    ms,
    samples: analysis.samples,
    nodes: profile.nodes.length,
    functions: analysis.functions.length,
    findings: findings.length,
    flamegraphBytes: Buffer.byteLength(html),
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  })}\n`,
);
