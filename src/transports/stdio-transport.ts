import type { Readable, Writable } from 'node:stream';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { log } from '../log.js';
import { BoundedLineSplitter } from './bounded-lines.js';
import { readJsonRpcMessage } from './json-rpc-message.js';
import { INVALID_REQUEST, MAX_MESSAGE_BYTES, jsonRpcError } from './json-rpc-errors.js';

/**
 * The MCP stdio transport perfsop serves on, in place of the SDK's StdioServerTransport, which on
 * a bad line only calls onerror and answers nothing (the client waits forever) and buffers an
 * unterminated line until it closes the connection. Here every line gets handled:
 * - not JSON: JSON-RPC -32700 with id null;
 * - JSON but not a JSON-RPC message (as the SDK's schema decides; see readJsonRpcMessage): -32600,
 *   with the id when one can be read;
 * - a batch (array): -32600, refused whole (MCP 2025-06-18 removed batching, and answering each
 *   entry would let one line queue thousands of tool calls);
 * - longer than MAX_MESSAGE_BYTES (the HTTP body cap): one -32600, the rest of the line dropped
 *   unread.
 * Then it reads the next line: one client's garbage never ends the session.
 */
export class PerfsopStdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private readonly lines: BoundedLineSplitter;
  private closed = false;
  private draining: Promise<void> | undefined;

  constructor(
    private readonly stdin: Readable = process.stdin,
    private readonly stdout: Writable = process.stdout,
    maxLineBytes = MAX_MESSAGE_BYTES,
  ) {
    this.lines = new BoundedLineSplitter(
      maxLineBytes,
      (line) => this.handleLine(line),
      () => this.reject(INVALID_REQUEST, `Invalid Request: message longer than ${maxLineBytes} bytes; the rest of the line is discarded`),
    );
  }

  private readonly onData = (chunk: Buffer | string) => {
    this.lines.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  };

  private readonly onStreamError = (error: Error) => {
    this.onerror?.(error);
  };

  // A client that goes away mid-answer makes stdout emit EPIPE; without a listener that error
  // would end the process instead of the session.
  private readonly onWriteError = (error: Error) => {
    log.debug('stdout closed by the client', error);
    void this.close();
  };

  async start(): Promise<void> {
    this.stdin.on('data', this.onData);
    this.stdin.on('error', this.onStreamError);
    this.stdout.on('error', this.onWriteError);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stdin.off('data', this.onData);
    this.stdin.off('error', this.onStreamError);
    if (this.stdin.listenerCount('data') === 0) this.stdin.pause();
    this.lines.clear();
    this.onclose?.();
  }

  send(message: JSONRPCMessage): Promise<void> {
    if (this.closed || this.stdout.destroyed) return Promise.resolve();
    if (this.stdout.write(`${JSON.stringify(message)}\n`)) return Promise.resolve();
    return this.drained();
  }

  /**
   * One wait for the pipe to drain, shared by every reply sent while it is full: a client that
   * reads slowly while many calls finish must not stack one listener per reply. It also ends when
   * the pipe closes, so no reply waits forever on a client that is gone.
   */
  private drained(): Promise<void> {
    this.draining ??= new Promise<void>((resolve) => {
      const done = () => {
        this.stdout.off('drain', done);
        this.stdout.off('close', done);
        this.draining = undefined;
        resolve();
      };
      this.stdout.on('drain', done);
      this.stdout.on('close', done);
    });
    return this.draining;
  }

  private handleLine(line: string): void {
    if (line.trim() === '') return;
    const read = readJsonRpcMessage(line);
    if ('error' in read) {
      this.reject(read.error.code, read.error.message, read.error.id);
      return;
    }
    this.onmessage?.(read.message);
  }

  private reject(code: number, message: string, id: string | number | null = null): void {
    log.warn(`stdio: ${message}`);
    void this.send(jsonRpcError(code, message, id));
  }
}
