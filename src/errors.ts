import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';

/**
 * An error the caller can fix: bad arguments, a missing config entry, a refused policy.
 * `field` names the argument at fault so the answer can say exactly what to change.
 */
export class InputError extends Error {
  constructor(
    readonly field: string | undefined,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'InputError';
  }
}

/** Raised by engines when work was cancelled by the caller; not a failure of the tool. */
export class CancelledError extends Error {
  constructor(message = 'cancelled by the client') {
    super(message);
    this.name = 'CancelledError';
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A JSON-RPC "invalid params" error whose message goes on the wire as written. The SDK sends an
 * error's `code` and `message`; its McpError puts "MCP error -32602: " into the message itself, and
 * an SDK client then prefixes it again, so a client would show the code twice before the reason.
 */
export function invalidParams(message: string): Error & { code: number } {
  return Object.assign(new Error(message), { code: ErrorCode.InvalidParams });
}
