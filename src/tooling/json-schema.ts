import { z } from 'zod';
import type { ToolDefinition } from './define-tool.js';

export type JsonSchema = Record<string, unknown>;

export interface ToolSchemas {
  inputSchema: JsonSchema & { type: 'object' };
  outputSchema: JsonSchema & { type: 'object' };
}

/** The JSON Schemas a client sees in `tools/list`; also written to `schemas/<tool>.json`. */
export function toolSchemas(tool: ToolDefinition): ToolSchemas {
  return {
    inputSchema: objectSchema(z.toJSONSchema(tool.input, { io: 'input', target: 'draft-2020-12' })),
    outputSchema: objectSchema(z.toJSONSchema(tool.output, { io: 'output', target: 'draft-2020-12' })),
  };
}

function objectSchema(schema: JsonSchema): JsonSchema & { type: 'object' } {
  if (schema.type !== 'object') throw new Error('tool schemas must be JSON objects at the root');
  return portable(schema) as JsonSchema & { type: 'object' };
}

/**
 * zod writes a nullable as `type: ["string", "null"]`. That is valid JSON Schema, but clients that
 * map tool schemas onto a single-`type` dialect (Gemini's OpenAPI subset among them) reject it,
 * so each such type list becomes `anyOf` branches with one type each.
 */
function portable(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(portable);
  if (node === null || typeof node !== 'object') return node;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    // `{}` means "anything" but reads as a forgotten constraint; say it plainly instead.
    const anything = isEmptyObject(value);
    if (anything && key === 'items') continue;
    out[key] = anything && key === 'additionalProperties' ? true : portable(value);
  }
  if (Array.isArray(out.type)) {
    const { type, ...rest } = out;
    const types = type as string[];
    const description = rest.description;
    delete rest.description;
    return { ...(description === undefined ? {} : { description }), anyOf: types.map((t) => ({ ...rest, type: t })) };
  }
  return out;
}

function isEmptyObject(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0;
}
