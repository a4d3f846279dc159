import type { z } from 'zod';
import type { App } from '../app.js';
import type { ToolResponse } from './response.js';

/** MCP tool annotations: hints a client may use to decide whether to ask before calling. */
export interface ToolAnnotations {
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

export interface ToolContext {
  app: App;
  /** Aborted when the client cancels the request; long work must stop and clean up. */
  signal: AbortSignal;
  /** Sends `notifications/progress` when the client asked for progress; a no-op otherwise. */
  progress(progress: number, total?: number, message?: string): Promise<void>;
}

export interface ToolDefinition<Input extends z.ZodObject = z.ZodObject, Output extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  description: string;
  input: Input;
  output: Output;
  annotations: ToolAnnotations;
  /**
   * True for a tool that only hands back what the user stored (memory_usage): its answers are not
   * redacted, so a value round-trips unchanged and a large one is not scanned on every read.
   */
  echoesUserData?: boolean;
  /**
   * Does the work through engines in `src/`, appends the text for the model to `response`, and
   * returns the structured result. Throwing `InputError` yields an `isError` answer naming the field.
   */
  handler(args: z.output<Input>, response: ToolResponse, context: ToolContext): Promise<z.input<Output>> | z.input<Output>;
}

export function defineTool<Input extends z.ZodObject, Output extends z.ZodObject>(
  definition: ToolDefinition<Input, Output>,
): ToolDefinition<Input, Output> {
  return definition;
}
