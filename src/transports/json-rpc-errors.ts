import type { JSONRPCErrorResponse, RequestId } from '@modelcontextprotocol/sdk/types.js';

/**
 * The JSON-RPC 2.0 answers to messages that never reach the MCP server: bytes that are not JSON,
 * JSON that is not a message, and batches (removed from MCP in 2025-06-18). Shared by the stdio
 * and HTTP transports so a client gets the same codes whichever way it connects.
 */
export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;

/** The largest message perfsop reads, on any transport (an HTTP body or one stdio line). */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

export const BATCH_REFUSED = 'Invalid Request: JSON-RPC batches are not supported (MCP removed batching in 2025-06-18); send one message at a time';

export function jsonRpcError(code: number, message: string, id: RequestId | null = null): JSONRPCErrorResponse {
  // The SDK's type has no null id, but JSON-RPC requires null when the request's id is unreadable.
  return { jsonrpc: '2.0', id: id as RequestId, error: { code, message } };
}

/** The id of a rejected message, when it carries a usable one, so the client can match the error. */
export function readableId(value: unknown): RequestId | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const id = (value as { id?: unknown }).id;
  return (typeof id === 'string' && id.length <= 1024) || (typeof id === 'number' && Number.isFinite(id)) ? id : null;
}

/** Why a parsed JSON value is not one JSON-RPC message, in a line a client can act on. */
export function invalidRequestMessage(value: unknown): string {
  if (value === null || typeof value !== 'object') return 'Invalid Request: a JSON-RPC message must be a JSON object';
  const message = value as Record<string, unknown>;
  if (message.jsonrpc !== '2.0') return 'Invalid Request: "jsonrpc" must be exactly "2.0"';
  if ('method' in message && typeof message.method !== 'string') return 'Invalid Request: "method" must be a string';
  if (!('method' in message) && !('result' in message) && !('error' in message)) return 'Invalid Request: a request needs a "method"';
  return 'Invalid Request: not a valid JSON-RPC 2.0 request, notification or response';
}
