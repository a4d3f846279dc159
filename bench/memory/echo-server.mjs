#!/usr/bin/env node
// The floor of an MCP round trip: the same SDK, the same stdio transport, one tool that does
// nothing but hand its text back. Whatever a real tool costs above this is the tool's own work.
// Run as a script it serves stdio; bench/memory/breakdown.mjs imports createEchoServer() to
// measure the same server in-process.
//
// ECHO_WORK_US=N makes each call spin N microseconds of CPU before answering. Only the breakdown
// uses it, to calibrate how a known amount of server work shows up in a stdio round trip.
import { pathToFileURL } from 'node:url';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

export function createEchoServer(workMicroseconds = 0) {
  const server = new McpServer({ name: 'echo', version: '1.0.0' });
  server.registerTool(
    'echo',
    { description: 'Returns its text unchanged.', inputSchema: { text: z.string() } },
    async ({ text }) => {
      if (workMicroseconds > 0) spin(workMicroseconds);
      return { content: [{ type: 'text', text }] };
    },
  );
  return server;
}

function spin(microseconds) {
  const until = process.hrtime.bigint() + BigInt(Math.round(microseconds * 1000));
  while (process.hrtime.bigint() < until);
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  await createEchoServer(Number(process.env.ECHO_WORK_US ?? 0)).connect(new StdioServerTransport());
}
