import { JSONRPCMessageSchema, type JSONRPCMessage, type RequestId } from '@modelcontextprotocol/sdk/types.js';
import { BATCH_REFUSED, INVALID_REQUEST, PARSE_ERROR, invalidRequestMessage, readableId } from './json-rpc-errors.js';

/** A message read, or the JSON-RPC error its sender gets instead. */
export type ReadMessage = { message: JSONRPCMessage } | { error: { code: number; message: string; id: RequestId | null } };

/**
 * One JSON text (a stdio line, an HTTP body) as one JSON-RPC message, or the error to answer it
 * with, so every transport refuses the same things the same way: -32700 for text that is not
 * JSON, -32600 for a batch (refused whole) or for JSON that is not a message.
 */
export function readJsonRpcMessage(text: string): ReadMessage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { error: { code: PARSE_ERROR, message: `Parse error: ${(error as Error).message}`, id: null } };
  }
  if (Array.isArray(value)) return { error: { code: INVALID_REQUEST, message: BATCH_REFUSED, id: null } };
  const message = asJsonRpcMessage(value);
  return message ? { message } : { error: { code: INVALID_REQUEST, message: invalidRequestMessage(value), id: readableId(value) } };
}

const MESSAGE_FIELDS = new Set(['jsonrpc', 'id', 'method', 'params']);

/**
 * A parsed JSON line as a JSON-RPC message, or undefined when it is not one: exactly what the SDK's
 * `JSONRPCMessageSchema` accepts. Nearly every line a client sends is a plain request or
 * notification, and those are recognised here by hand. The SDK's union schema (tried as a
 * request, a notification, a result and an error in turn) was the largest single cost of reading
 * a line, and the server parses each request again against its method's own schema anyway. What
 * the plain shape does not cover (responses, `_meta`, anything odd) still goes through the schema,
 * so the answer to an unusual message does not change.
 */
export function asJsonRpcMessage(value: unknown): JSONRPCMessage | undefined {
  if (isPlainRequestOrNotification(value)) return value as JSONRPCMessage;
  const parsed = JSONRPCMessageSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

function isPlainRequestOrNotification(value: unknown): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const message = value as Record<string, unknown>;
  // The schemas are strict: a field of any other name makes the message invalid.
  for (const field in message) if (!MESSAGE_FIELDS.has(field)) return false;
  if (message.jsonrpc !== '2.0' || typeof message.method !== 'string') return false;
  const { id, params } = message;
  if (id !== undefined && typeof id !== 'string' && !Number.isSafeInteger(id)) return false;
  if (params === undefined) return true;
  // `_meta` has a schema of its own (progress tokens, task ids): leave it to the SDK.
  return params !== null && typeof params === 'object' && !Array.isArray(params) && !('_meta' in params);
}
