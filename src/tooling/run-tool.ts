import type { z } from 'zod';
import { CancelledError, InputError, errorMessage } from '../errors.js';
import { log } from '../log.js';
import { redactDeep } from '../secrets.js';
import type { ToolContext, ToolDefinition } from './define-tool.js';
import { ToolResponse, renderError, type ResourceLink } from './response.js';

export type ResultContent = { type: 'text'; text: string } | ({ type: 'resource_link' } & ResourceLink);

export interface ToolResult {
  [key: string]: unknown;
  content: ResultContent[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

/**
 * The one place a tool call is checked and answered: arguments are validated against the tool's
 * schema, thrown errors become `isError` results with a clear message, and the structured result
 * is checked against the declared output schema so a client never receives what it cannot parse.
 */
export async function runTool(tool: ToolDefinition, rawArgs: unknown, context: ToolContext): Promise<ToolResult> {
  // Whatever a tool or its error echoes (a command's stderr, a service's output, the call's own
  // headers) passes here last: secret values never reach the client.
  const result = await answer(tool, rawArgs, context);
  return tool.echoesUserData ? result : redactDeep(result);
}

async function answer(tool: ToolDefinition, rawArgs: unknown, context: ToolContext): Promise<ToolResult> {
  const args = rawArgs ?? {};
  if (typeof args !== 'object' || Array.isArray(args)) {
    return errorResult(`Arguments for ${tool.name} must be a JSON object, got ${describe(args)}.`);
  }
  const parsed = tool.input.safeParse(args);
  if (!parsed.success) {
    return errorResult(
      `Invalid arguments for ${tool.name}:\n${parsed.error.issues.map((issue) => `- ${explain(issue, args)}`).join('\n')}`,
      `the accepted fields are ${Object.keys(tool.input.shape).map((f) => `\`${f}\``).join(', ')}; see the tool's inputSchema`,
    );
  }
  const response = new ToolResponse();
  const unknown = Object.keys(args).filter((field) => !(field in tool.input.shape));
  if (unknown.length > 0) response.note(`ignored unknown field(s): ${unknown.map((f) => `\`${f}\``).join(', ')}`);
  try {
    const output = await tool.handler(parsed.data, response, context);
    const checked = tool.output.safeParse(output);
    if (!checked.success) {
      log.error(`${tool.name} produced output that does not match its schema`, checked.error.issues);
      return errorResult(`Internal error in ${tool.name}: its result did not match the declared output schema. This is a perfsop bug.`);
    }
    return {
      content: [{ type: 'text', text: response.render() }, ...response.links.map((link) => ({ type: 'resource_link' as const, ...link }))],
      structuredContent: checked.data as Record<string, unknown>,
    };
  } catch (error) {
    if (error instanceof InputError) {
      const subject = error.field ? `Invalid \`${error.field}\`: ` : '';
      return errorResult(`${subject}${error.message}`, error.hint);
    }
    if (error instanceof CancelledError || context.signal.aborted) {
      return errorResult(`${tool.name} was cancelled; nothing is left running.`);
    }
    log.error(`${tool.name} failed`, error);
    return errorResult(`${tool.name} failed: ${errorMessage(error)}`);
  }
}

export function errorResult(message: string, hint?: string): ToolResult {
  return { content: [{ type: 'text', text: renderError(message, hint) }], isError: true };
}

function explain(issue: z.core.$ZodIssue, args: object): string {
  const field = issue.path.length > 0 ? `\`${issue.path.map(String).join('.')}\`` : 'arguments';
  const given = valueAt(args, issue.path);
  switch (issue.code) {
    case 'invalid_type':
      return given === undefined
        ? `${field} is required (${issue.expected})`
        : `${field} must be ${article(issue.expected)}, got ${describe(given)}`;
    case 'invalid_value':
      if (given === undefined) return `${field} is required: one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
      return `${field} must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describe(given)}`;
    default:
      return `${field}: ${issue.message}${given === undefined ? '' : ` (got ${describe(given)})`}`;
  }
}

function valueAt(root: object, path: readonly PropertyKey[]): unknown {
  let current: unknown = root;
  for (const step of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[step];
  }
  return current;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value.length > 60 ? `a string of ${value.length} characters` : JSON.stringify(value);
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}
