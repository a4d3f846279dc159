/**
 * Splits a byte stream into newline-terminated lines of at most `maxBytes`, without ever holding
 * more than that: a line that grows past the limit is reported once through `onOversize` and its
 * remaining bytes are dropped as they arrive, up to the next newline. (The SDK's reader buffers
 * up to 10 MB and then closes the whole connection, which lets one bad line end a session.)
 */
export class BoundedLineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private discarding = false;

  constructor(
    private readonly maxBytes: number,
    private readonly onLine: (line: string) => void,
    private readonly onOversize: () => void,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(0x0a, start);
      const end = newline === -1 ? chunk.length : newline;
      this.take(chunk.subarray(start, end));
      if (newline === -1) return;
      this.endLine();
      start = newline + 1;
    }
  }

  /** Forgets a partial line (the stream closed). */
  clear(): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.discarding = false;
  }

  private take(part: Buffer): void {
    if (this.discarding || part.length === 0) return;
    if (this.pendingBytes + part.length > this.maxBytes) {
      this.clear();
      this.discarding = true;
      this.onOversize();
      return;
    }
    // Copied: the stream may reuse the chunk's memory once this call returns.
    this.pending.push(Buffer.from(part));
    this.pendingBytes += part.length;
  }

  private endLine(): void {
    const wasDiscarding = this.discarding;
    const line = Buffer.concat(this.pending, this.pendingBytes).toString('utf8');
    this.clear();
    if (!wasDiscarding) this.onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
  }
}
