import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListResourcesRequestSchema,
  ListToolsRequestSchema,
  ReadResourceRequestSchema,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { TOOLS } from '../tools/index.js';
import type { App } from './app.js';
import { InputError, invalidParams } from './errors.js';
import { SOP_PERF, sopPerfPrompt } from './prompts.js';
import { ANALYSIS_PREFIX, ARTIFACT_PREFIX, RUN_PREFIX, listResources, readResource } from './resources.js';
import type { ToolContext, ToolDefinition } from './tooling/define-tool.js';
import { toolSchemas } from './tooling/json-schema.js';
import { redact } from './secrets.js';
import { runTool } from './tooling/run-tool.js';
import { VERSION } from './version.js';

const INSTRUCTIONS = `perfsop measures; it never invents a number. memory_usage is a key/value memory shared by every perfsop process on the same database: store results under descriptive keys (e.g. "swarm/perf-analyzer/checkout-bottlenecks") and search or retrieve them later. token_usage accounts tokens and cost from Claude Code transcripts and from usage agents record with it (action "record").`;

let listing: Tool[] | undefined;

// The listing is the same for every session of the process; build it once.
function toolListing(tools: readonly ToolDefinition[]): Tool[] {
  if (tools !== TOOLS) return tools.map(describeTool);
  listing ??= TOOLS.map(describeTool);
  return listing;
}

function describeTool(tool: ToolDefinition): Tool {
  return { name: tool.name, title: tool.title, description: tool.description, ...toolSchemas(tool), annotations: { title: tool.title, ...tool.annotations } };
}

/** One MCP server per client session; all sessions of a process share `app` (config and database). */
export function createServer(app: App, tools: readonly ToolDefinition[] = TOOLS): Server {
  const server = new Server({ name: 'perfsop', title: 'perfsop', version: VERSION }, { capabilities: { tools: {}, resources: {}, prompts: {} }, instructions: INSTRUCTIONS });
  const byName = new Map(tools.map((tool) => [tool.name, tool]));

  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: toolListing(tools) }));

  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const tool = byName.get(request.params.name);
    if (!tool) {
      throw invalidParams(`Unknown tool "${request.params.name}". Available: ${[...byName.keys()].join(', ')}`);
    }
    const progressToken = request.params._meta?.progressToken;
    const context: ToolContext = {
      app,
      signal: extra.signal,
      progress: async (progress, total, message) => {
        if (progressToken === undefined || extra.signal.aborted) return;
        await extra.sendNotification({
          method: 'notifications/progress',
          params: { progressToken, progress, ...(total === undefined ? {} : { total }), ...(message ? { message: redact(message) } : {}) },
        });
      },
    };
    const startedAt = Date.now();
    const begun = performance.now();
    const result = await runTool(tool, request.params.arguments, context);
    app.toolCalls.record(tool.name, startedAt, performance.now() - begun, !result.isError);
    return result;
  });

  // Artifacts (profiles, flame graphs, logs) by URI, readable only inside the artifacts folder.
  server.setRequestHandler(ListResourcesRequestSchema, () => ({ resources: listResources(app) }));
  server.setRequestHandler(ListResourceTemplatesRequestSchema, () => ({
    resourceTemplates: [
      { uriTemplate: `${RUN_PREFIX}{id}`, name: 'run', mimeType: 'application/json', description: 'A benchmark run: its benchmarks with stats, and its comparisons with a baseline' },
      { uriTemplate: `${ANALYSIS_PREFIX}{id}`, name: 'analysis', mimeType: 'application/json', description: 'A bottleneck analysis: its summary and ranked findings with evidence' },
      { uriTemplate: `${ARTIFACT_PREFIX}{path}`, name: 'artifact', description: 'A file perfsop wrote: .cpuprofile, flame graph HTML, heap profile, service log, HTML report' },
    ],
  }));
  server.setRequestHandler(ReadResourceRequestSchema, (request) => invalidParamsOnInputError(() => ({ contents: [readResource(app, request.params.uri)] })));

  // The SOP itself, as a prompt the client's model follows.
  server.setRequestHandler(ListPromptsRequestSchema, () => ({ prompts: [SOP_PERF] }));
  server.setRequestHandler(GetPromptRequestSchema, (request) => {
    if (request.params.name !== SOP_PERF.name) throw invalidParams(`Unknown prompt "${request.params.name}". Available: ${SOP_PERF.name}`);
    return invalidParamsOnInputError(() => sopPerfPrompt(request.params.arguments ?? {}));
  });

  return server;
}

/** A caller's mistake in a protocol request (not a tool call) is a JSON-RPC invalid-params error. */
function invalidParamsOnInputError<T>(answer: () => T): T {
  try {
    return answer();
  } catch (error) {
    if (error instanceof InputError) throw invalidParams(error.message);
    throw error;
  }
}
