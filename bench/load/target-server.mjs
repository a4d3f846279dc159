#!/usr/bin/env node
// The HTTP target of the load benchmark, started as its own process (one core of its own at most:
// Node's HTTP server is one thread). It answers every GET with a short text body, either at once
// (TARGET_DELAY_MS=0: pure CPU on both sides, where the load generator's own cost shows) or after
// a timer of TARGET_DELAY_MS milliseconds (a server that waits, like one calling a database).
//
// Control endpoints, all under /__ and never counted as load:
//   GET /__reset   forget the first load request seen (call before each measured tools/call)
//   GET /__first   {connectNs, requestNs}: process.hrtime.bigint() (CLOCK_MONOTONIC, comparable
//                  with the same clock in other processes of this host) when the socket that
//                  carried the first load request since the reset was accepted, and when that
//                  request's headers were parsed; null before any load request
//   GET /__cpu     {cpuMs}: CPU time (user + system) this process has used so far
//   GET /__ready   200, for perfsop's component readiness probe
//
// Prints "listening <port>" on stdout once it listens on 127.0.0.1 (port 0: the kernel picks).
// Stops on SIGTERM/SIGINT, and when its parent's IPC channel closes (if it was given one).
import { createServer } from 'node:http';

const DELAY_MS = Number(process.env.TARGET_DELAY_MS ?? 0);
const BODY = 'ok\n';
const HEADERS = { 'content-type': 'text/plain', 'content-length': String(Buffer.byteLength(BODY)) };
const ACCEPTED_AT = Symbol('acceptedAt');

let first = null;

function control(req, res) {
  const json = (value) => {
    const text = JSON.stringify(value);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  switch (req.url) {
    case '/__reset':
      first = null;
      return json({ reset: true });
    case '/__first':
      return json(first && { connectNs: String(first.connectNs), requestNs: String(first.requestNs) });
    case '/__cpu': {
      const cpu = process.cpuUsage();
      return json({ cpuMs: (cpu.user + cpu.system) / 1000 });
    }
    case '/__ready':
      return json({ ready: true });
    default:
      res.writeHead(404);
      return res.end();
  }
}

const server = createServer((req, res) => {
  if (req.url.startsWith('/__')) return control(req, res);
  if (first === null) first = { connectNs: req.socket[ACCEPTED_AT], requestNs: process.hrtime.bigint() };
  if (DELAY_MS > 0) setTimeout(() => res.writeHead(200, HEADERS).end(BODY), DELAY_MS);
  else res.writeHead(200, HEADERS).end(BODY);
});
server.on('connection', (socket) => {
  socket[ACCEPTED_AT] = process.hrtime.bigint();
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
const stop = () => server.close(() => process.exit(0)).closeAllConnections();
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// Started with an IPC channel, it also stops when its parent dies, however it dies.
if (process.channel) {
  process.on('disconnect', stop);
  process.channel.unref();
}
