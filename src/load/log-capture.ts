import { closeSync, openSync, writeSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { StreamRedactor } from '../secrets.js';

/**
 * A component's stdout and stderr, written to its log file through perfsop rather than handed to
 * the child as a file descriptor: secret values are redacted on the way (a service that prints its
 * environment must not leave a key on disk), and the file stops at `maxBytes` with a note, so a
 * chatty or hostile service cannot fill the disk. The pipes keep being drained after the cap so the
 * service never blocks on a full pipe.
 */
export class LogCapture {
  private readonly fd: number;
  private written = 0;
  private truncated = false;
  private open = 0;
  private readonly redactors = new Map<Readable, StreamRedactor>();
  /** Resolves when every stream has ended and the file is closed. */
  readonly done: Promise<void>;
  private finish!: () => void;

  constructor(
    readonly path: string,
    private readonly maxBytes: number,
  ) {
    this.fd = openSync(path, 'a');
    this.done = new Promise((resolve) => (this.finish = resolve));
  }

  attach(...streams: Array<Readable | null | undefined>): void {
    for (const stream of streams) {
      if (!stream) continue;
      this.open += 1;
      const redactor = new StreamRedactor();
      this.redactors.set(stream, redactor);
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => this.write(redactor.push(chunk)));
      stream.once('close', () => {
        this.write(redactor.end());
        if (--this.open === 0) this.close();
      });
    }
    if (this.open === 0) this.close();
  }

  private write(text: string): void {
    if (this.truncated || text === '') return;
    const bytes = Buffer.from(text, 'utf8');
    const room = this.maxBytes - this.written;
    if (bytes.length <= room) {
      this.written += writeSync(this.fd, bytes);
      return;
    }
    // Cut at the cap; a multi-byte character split there is harmless in a log.
    if (room > 0) this.written += writeSync(this.fd, bytes.subarray(0, room));
    this.truncated = true;
    writeSync(this.fd, `\n[perfsop: log truncated at ${this.maxBytes} bytes (policy.maxArtifactBytes); the rest of the output was discarded]\n`);
  }

  private close(): void {
    try {
      closeSync(this.fd);
    } catch {
      // Already closed.
    }
    this.finish();
  }
}
