import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { App } from '../app.js';
import { InputError } from '../errors.js';
import { createServer } from '../server.js';
import { VERSION } from '../version.js';

/**
 * `perfsop call <tool> '<json>'`: the same server path an MCP client takes (validation, errors,
 * output schema), in one process, for humans and scripts. Exit code 1 when the tool reports an
 * error, 3 when it ran but reports `success: false` (a failed benchmark threshold).
 */
export async function callTool(app: App, args: string[], options: { json: boolean }): Promise<number> {
  const [name, json, ...extra] = args;
  if (!name) throw new InputError('tool', 'usage: perfsop call <tool> \'<json arguments>\'');
  if (extra.length > 0) throw new InputError('arguments', 'pass the tool arguments as one JSON object in a single quoted argument');
  let toolArgs: Record<string, unknown> = {};
  if (json !== undefined) {
    try {
      toolArgs = JSON.parse(json) as Record<string, unknown>;
    } catch (error) {
      throw new InputError('arguments', `not valid JSON: ${(error as Error).message}`);
    }
    if (toolArgs === null || typeof toolArgs !== 'object' || Array.isArray(toolArgs)) {
      throw new InputError('arguments', 'the tool arguments must be a JSON object, e.g. \'{"action":"list"}\'');
    }
  }

  const server = createServer(app);
  const client = new Client({ name: 'perfsop-call', version: VERSION });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  await client.connect(clientSide);
  try {
    const result = await client.callTool({ name, arguments: toolArgs }, undefined, {
      timeout: 24 * 3600 * 1000,
      onprogress: ({ progress, total, message }) => {
        process.stderr.write(`… ${message ?? ''} ${total ? `${progress}/${total}` : progress}\n`);
      },
    });
    if (options.json && !result.isError) {
      process.stdout.write(`${JSON.stringify(result.structuredContent ?? null, null, 2)}\n`);
    } else {
      const content = (result.content ?? []) as Array<{ type: string; text?: string; uri?: string; name?: string }>;
      for (const part of content) {
        if (part.type === 'text') process.stdout.write(`${part.text}\n`);
        else if (part.type === 'resource_link') process.stdout.write(`[${part.name}] ${part.uri}\n`);
      }
    }
    if (result.isError) return 1;
    // The tool ran but its own checks failed (e.g. a benchmark threshold): CI must see it.
    const structured = result.structuredContent as { success?: unknown } | undefined;
    return structured?.success === false ? 3 : 0;
  } finally {
    await client.close();
    await server.close();
    app.close();
  }
}
