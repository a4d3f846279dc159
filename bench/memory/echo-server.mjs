#!/usr/bin/env node
// The floor of an MCP round trip: the same SDK, the same stdio transport, one tool that does
// nothing but hand its text back. Whatever a real tool costs above this is the tool's own work.
// Run as a script it serves stdio; bench/memory/breakdown.mjs imports createEchoServer() to
// measure the same server in-process.
//
// ECHO_WORK_US=N makes each call spin N microseconds of CPU before answering. Only the breakdown
// uses it, to calibrate how a known amount of server work shows up in a stdio round trip.
//
// ECHO_STRUCTURED=1 makes echo answer in the shape of a perfsop retrieve, still without doing any
// work: it declares an outputSchema, and its reply holds markdown text with the value in a fence
// plus structuredContent with the same thirteen fields. That is the floor for any tool that answers
// as DESIGN.md asks (text for the model beside structured data a client checks against the
// schema): the server builds and checks a bigger reply, and the client parses and checks it.
import { pathToFileURL } from 'node:url';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

export function createEchoServer(workMicroseconds = 0, structured = false) {
  const server = new McpServer({ name: 'echo', version: '1.0.0' });
  if (structured) {
    registerStructuredEcho(server);
    return server;
  }
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

const retrieveShape = {
  success: z.boolean(),
  action: z.string(),
  key: z.string(),
  namespace: z.string(),
  found: z.boolean(),
  value: z.string(),
  value_type: z.string(),
  size: z.number().int(),
  version: z.number().int(),
  created_at: z.string(),
  updated_at: z.string(),
  expires_at: z.string().nullable(),
  access_count: z.number().int(),
};

function registerStructuredEcho(server) {
  let calls = 0;
  server.registerTool(
    'echo',
    { description: 'Returns its text in the shape of a memory retrieve.', inputSchema: { text: z.string(), key: z.string() }, outputSchema: retrieveShape },
    async ({ text, key }) => {
      calls += 1;
      const at = new Date().toISOString();
      const size = Buffer.byteLength(text);
      return {
        content: [{ type: 'text', text: `### Result\n\`${key}\` in \`bench\`: ${size} B, version 1, read ${calls} time(s), updated ${at}.\n\`\`\`\n${text}\n\`\`\`` }],
        structuredContent: {
          success: true, action: 'retrieve', key, namespace: 'bench', found: true, value: text, value_type: 'string',
          size, version: 1, created_at: at, updated_at: at, expires_at: null, access_count: calls,
        },
      };
    },
  );
}

function spin(microseconds) {
  const until = process.hrtime.bigint() + BigInt(Math.round(microseconds * 1000));
  while (process.hrtime.bigint() < until);
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  await createEchoServer(Number(process.env.ECHO_WORK_US ?? 0), process.env.ECHO_STRUCTURED === '1').connect(new StdioServerTransport());
}
