// Preloaded into a server process (node --import bench/lib/server-probe.mjs <server>) to time, from
// inside the server, each tools/call from the moment its bytes are read off stdin to the moment
// the reply is handed to stdout. The client's round trip minus this is the transport and the
// operating system's wake-ups. Samples are written as JSON to $BENCH_PROBE_OUT when the process exits.
import { writeFileSync } from 'node:fs';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';

const samples = {};
const pending = new Map();
let readAt = 0n;

const { processReadBuffer, send } = StdioServerTransport.prototype;

StdioServerTransport.prototype.processReadBuffer = function timedRead() {
  readAt = process.hrtime.bigint();
  if (!this.probeWrapped && this.onmessage) {
    const onmessage = this.onmessage;
    this.onmessage = (message, extra) => {
      if (message.method === 'tools/call') {
        const { name, arguments: args = {} } = message.params;
        pending.set(message.id, { start: readAt, label: [name, args.action, args.action && !args.key && 'no key'].filter(Boolean).join(' ') });
      }
      return onmessage(message, extra);
    };
    this.probeWrapped = true;
  }
  return processReadBuffer.call(this);
};

StdioServerTransport.prototype.send = function timedSend(message) {
  const request = pending.get(message.id);
  if (request) {
    pending.delete(message.id);
    (samples[request.label] ??= []).push(Number(process.hrtime.bigint() - request.start) / 1e6);
  }
  return send.call(this, message);
};

process.on('exit', () => {
  if (process.env.BENCH_PROBE_OUT) writeFileSync(process.env.BENCH_PROBE_OUT, JSON.stringify(samples));
});
