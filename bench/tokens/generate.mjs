// Writes a Claude Code transcript folder (`<root>/projects/<project>/<session>.jsonl`) shaped like
// the real thing: compact JSON lines as Claude Code writes them, user turns carrying large tool
// results, assistant messages streamed as several lines (one per content block) that share
// message.id and requestId and whose later copies carry more output tokens, summary lines, a few
// old-format entries with costUSD, and prompts above 200k tokens where the long-context price
// applies. Every byte comes from a seeded PRNG, so two runs write the same folder.
//
//   node bench/tokens/generate.mjs <dir> [--mb 500] [--seed 7]
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { createRng, randomIndex, sentence } from '../lib/prng.mjs';

const MODELS = [
  ['claude-sonnet-4-20250514', 0.5],
  ['claude-sonnet-4-5-20250929', 0.15],
  ['claude-opus-4-1-20250805', 0.15],
  ['claude-3-5-haiku-20241022', 0.15],
  ['claude-opus-4-5-20251101', 0.05],
];
const START = Date.UTC(2026, 9, 1);
const SPAN_DAYS = 45;
const HOUR = 3_600_000;

function pick(rng, weighted) {
  let x = rng();
  for (const [value, weight] of weighted) {
    if ((x -= weight) < 0) return value;
  }
  return weighted[weighted.length - 1][0];
}

function hex(rng, n) {
  let s = '';
  for (let i = 0; i < n; i++) s += '0123456789abcdef'[randomIndex(rng, 16)];
  return s;
}

function uuid(rng) {
  return `${hex(rng, 8)}-${hex(rng, 4)}-4${hex(rng, 3)}-a${hex(rng, 3)}-${hex(rng, 12)}`;
}

/** Text with the characters JSON has to escape (quotes, newlines, backslashes), so parsing does real work. */
function text(rng, bytes) {
  return sentence(rng, bytes).replace(/ (\w+) /g, (match, word) => {
    const r = rng();
    if (r < 0.04) return ` "${word}" `;
    if (r < 0.08) return `\n${word} `;
    if (r < 0.09) return ` C:\\${word} `;
    return match;
  });
}

/**
 * One session file: alternating user turns (prompts and tool results) and assistant messages.
 * `stats` collects what a correct reader must find, to check a run against it.
 */
function sessionLines(rng, { cwd, session, start, targetBytes, stats, withRequestId = () => true }) {
  const lines = [];
  let bytes = 0;
  let t = start;
  let parent = null;
  let contextTokens = 2000 + randomIndex(rng, 20_000);
  const model = pick(rng, MODELS);
  const common = () =>
    `"parentUuid":${parent === null ? 'null' : `"${parent}"`},"isSidechain":false,"userType":"external","cwd":${JSON.stringify(cwd)},"sessionId":"${session}","version":"1.0.98","gitBranch":"main"`;
  while (bytes < targetBytes) {
    t += 5_000 + randomIndex(rng, 90_000);
    const userUuid = uuid(rng);
    const toolResult = rng() < 0.7;
    const content = toolResult
      ? `[{"tool_use_id":"toolu_${hex(rng, 24)}","type":"tool_result","content":${JSON.stringify(text(rng, 500 + randomIndex(rng, 12_000)))}}]`
      : JSON.stringify(text(rng, 50 + randomIndex(rng, 600)));
    const user = `{${common()},"type":"user","message":{"role":"user","content":${content}},"uuid":"${userUuid}","timestamp":"${new Date(t).toISOString()}"}`;
    lines.push(user);
    bytes += user.length + 1;
    parent = userUuid;

    // The assistant's answer: its blocks are written one line each as they stream in.
    const messageId = `msg_01${hex(rng, 22)}`;
    const requestId = withRequestId(rng) ? `req_011C${hex(rng, 20)}` : null;
    const blocks = 1 + randomIndex(rng, 3);
    contextTokens = Math.min(contextTokens + randomIndex(rng, 6000), rng() < 0.01 ? 260_000 : 180_000);
    const cacheRead = Math.floor(contextTokens * (0.6 + rng() * 0.4));
    const cacheCreation = rng() < 0.3 ? randomIndex(rng, 8000) : randomIndex(rng, 500);
    const input = rng() < 0.02 ? 200_000 + randomIndex(rng, 60_000) : 1 + randomIndex(rng, 40);
    const finalOutput = 20 + randomIndex(rng, 1500);
    const costUSD = rng() < 0.02 ? Math.round(rng() * 1e6) / 1e6 : null;
    // Some requests write to the 1-hour cache, which costs more than the default 5 minutes.
    const oneHour = rng() < 0.1;
    const cacheSplit = `"cache_creation":{"ephemeral_5m_input_tokens":${oneHour ? 0 : cacheCreation},"ephemeral_1h_input_tokens":${oneHour ? cacheCreation : 0}}`;
    const copies = [];
    for (let b = 0; b < blocks; b++) {
      t += 200 + randomIndex(rng, 3000);
      const last = b === blocks - 1;
      const output = last ? finalOutput : Math.max(1, Math.floor((finalOutput * (b + 1)) / (blocks + 1)));
      const block =
        rng() < 0.5
          ? `{"type":"text","text":${JSON.stringify(text(rng, 100 + randomIndex(rng, 2500)))}}`
          : `{"type":"tool_use","id":"toolu_${hex(rng, 24)}","name":"Edit","input":{"file_path":"${cwd}/src/${hex(rng, 6)}.ts","old_string":${JSON.stringify(text(rng, 40 + randomIndex(rng, 800)))},"new_string":${JSON.stringify(text(rng, 40 + randomIndex(rng, 800)))}}}`;
      const usage = `{"input_tokens":${input},"cache_creation_input_tokens":${cacheCreation},"cache_read_input_tokens":${cacheRead},${cacheSplit},"output_tokens":${output},"service_tier":"standard"}`;
      const assistantUuid = uuid(rng);
      const line =
        `{${common()},"message":{"id":"${messageId}","type":"message","role":"assistant","model":"${model}","content":[${block}],` +
        `"stop_reason":${last ? '"end_turn"' : 'null'},"stop_sequence":null,"usage":${usage}}` +
        `${requestId ? `,"requestId":"${requestId}"` : ''},"type":"assistant","uuid":"${assistantUuid}","timestamp":"${new Date(t).toISOString()}"` +
        `${costUSD === null ? '' : `,"costUSD":${costUSD}`}}`;
      lines.push(line);
      bytes += line.length + 1;
      parent = assistantUuid;
      copies.push({ ts: t, model, input, output, cacheCreation, cacheCreation1h: oneHour ? cacheCreation : 0, cacheRead, costUSD });
      stats.usageLines++;
    }
    // The last copy has the most tokens: it is the one a de-duplicating reader keeps. Without a
    // requestId ccusage counts every copy, so the others are exactly what it reports on top.
    const kept = copies[copies.length - 1];
    if (!requestId) stats.extraCopies.push(...copies.slice(0, -1));
    stats.messages++;
    stats.input += kept.input;
    stats.output += kept.output;
    stats.cacheCreation += kept.cacheCreation;
    stats.cacheRead += kept.cacheRead;
    if (rng() < 0.01) {
      const summary = `{"type":"summary","summary":${JSON.stringify(text(rng, 60))},"leafUuid":"${parent}"}`;
      lines.push(summary);
      bytes += summary.length + 1;
    }
  }
  return { lines, bytes, end: t };
}

/**
 * Writes about `mb` megabytes under `dir/projects/`. `withRequestId(rng)` decides per message
 * whether it has a requestId (default: always). Returns the totals a correct reader must report.
 */
export function generateTranscripts(dir, { mb = 500, seed = 7, projects = 24, withRequestId } = {}) {
  const rng = createRng(seed);
  const stats = { files: 0, bytes: 0, messages: 0, usageLines: 0, input: 0, output: 0, cacheCreation: 0, cacheRead: 0, extraCopies: [] };
  const target = mb * 1024 * 1024;
  let p = 0;
  while (stats.bytes < target) {
    const index = p++ % projects;
    const cwd = `/home/dev/work/project-${index}`;
    const folder = join(dir, 'projects', cwd.replace(/[/.]/g, '-'));
    mkdirSync(folder, { recursive: true });
    const session = uuid(rng);
    // Mostly files of a few hundred KB, some of several MB, as long sessions grow.
    const size = Math.min(target - stats.bytes + 1, rng() < 0.05 ? 4_000_000 + randomIndex(rng, 12_000_000) : 50_000 + randomIndex(rng, 700_000));
    const start = START + randomIndex(rng, SPAN_DAYS * 24) * HOUR + randomIndex(rng, HOUR);
    const { lines, bytes } = sessionLines(rng, { cwd, session, start, targetBytes: size, stats, withRequestId });
    const fd = openSync(join(folder, `${session}.jsonl`), 'w');
    // Written in ~1 MB pieces: one string per file would need the whole file in memory twice.
    let piece = '';
    for (const line of lines) {
      piece += `${line}\n`;
      if (piece.length > 1 << 20) {
        writeSync(fd, piece);
        piece = '';
      }
    }
    if (piece) writeSync(fd, piece);
    closeSync(fd);
    stats.files++;
    stats.bytes += bytes;
  }
  return stats;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { parseArgs } = await import('node:util');
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { mb: { type: 'string', default: '500' }, seed: { type: 'string', default: '7' } } });
  if (!positionals[0]) throw new Error('usage: node bench/tokens/generate.mjs <dir> [--mb 500] [--seed 7]');
  const started = Date.now();
  const stats = generateTranscripts(positionals[0], { mb: Number(values.mb), seed: Number(values.seed) });
  process.stderr.write(`${stats.files} files, ${(stats.bytes / 1048576).toFixed(0)} MB, ${stats.messages} messages in ${stats.usageLines} usage lines, ${Date.now() - started} ms\n`);
}
