// Preloaded into a server process (node --import bench/lib/server-probe.mjs <server>) to time, from
// inside the server, each tools/call from the moment its line is read off stdin to the moment
// the reply is handed to stdout. The client's round trip minus this is the transport and the
// operating system's wake-ups. Samples are written as JSON to $BENCH_PROBE_OUT when the process exits.
//
// Two transports are timed: the SDK's StdioServerTransport (echo, server-memory) and perfsop's own
// PerfsopStdioTransport (which answers malformed lines itself). Each hands a read line to its
// onmessage and a reply to send(); the probe wraps the method that reads and send.
import { writeFileSync } from 'node:fs';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';

const samples = {};
const pending = new Map();
let readAt = 0n;

function wrapOnmessage(transport) {
  if (transport.probeWrapped || !transport.onmessage) return;
  const onmessage = transport.onmessage;
  transport.onmessage = (message, extra) => {
    if (message.method === 'tools/call') {
      const { name, arguments: args = {} } = message.params;
      pending.set(message.id, { start: readAt, label: [name, args.action, args.action && !args.key && 'no key'].filter(Boolean).join(' ') });
    }
    return onmessage(message, extra);
  };
  transport.probeWrapped = true;
}

function probe(prototype, readMethod) {
  const { [readMethod]: read, send } = prototype;
  prototype[readMethod] = function timedRead(...args) {
    readAt = process.hrtime.bigint();
    wrapOnmessage(this);
    return read.apply(this, args);
  };
  prototype.send = function timedSend(message) {
    const request = pending.get(message.id);
    if (request) {
      pending.delete(message.id);
      (samples[request.label] ??= []).push(Number(process.hrtime.bigint() - request.start) / 1e6);
    }
    return send.call(this, message);
  };
}

probe(StdioServerTransport.prototype, 'processReadBuffer');
if (/dist[/\\]src[/\\]cli\.js$/.test(process.argv[1] ?? '')) {
  const { PerfsopStdioTransport } = await import(new URL('../../dist/src/transports/stdio-transport.js', import.meta.url).href);
  probe(PerfsopStdioTransport.prototype, 'handleLine');
}

process.on('exit', () => {
  if (process.env.BENCH_PROBE_OUT) writeFileSync(process.env.BENCH_PROBE_OUT, JSON.stringify(samples));
});
