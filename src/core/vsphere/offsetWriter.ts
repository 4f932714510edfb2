import { writev } from 'node:fs';
import { Writable } from 'node:stream';

/**
 * Chunks are gathered to this size before a write: a TLS stream delivers 16 KiB records (~65,000 a
 * GiB, a system call each), and much larger batches are no longer in the CPU cache when copied out.
 */
const BATCH_BYTES = 256 << 10;

/**
 * Writes a stream into an open file from `start` on, in batches. `onWritten(position)` reports each
 * write once it is in the file, for work that follows the writer (hashing).
 */
export class OffsetWriter extends Writable {
  private position: number;
  private gathered: Buffer[] = [];
  private gatheredBytes = 0;
  private inFlight?: Promise<void>;

  constructor(
    private readonly fd: number,
    start: number,
    private readonly onWritten?: (position: number) => void,
  ) {
    super({ highWaterMark: 1 << 20 });
    this.position = start;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    this.gathered.push(chunk);
    this.gatheredBytes += chunk.length;
    if (this.gatheredBytes < BATCH_BYTES) return done();
    this.flush(done);
  }

  override _final(done: (err?: Error | null) => void): void {
    this.flush(done);
  }

  /** A destroyed writer (a cancelled or failed transfer) settles only after its last write: the caller may close the file then. */
  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    void (this.inFlight ?? Promise.resolve()).catch(() => undefined).then(() => done(err));
  }

  private flush(done: (err?: Error | null) => void): void {
    const buffers = this.gathered;
    const bytes = this.gatheredBytes;
    this.gathered = [];
    this.gatheredBytes = 0;
    const written = () => {
      this.position += bytes;
      this.onWritten?.(this.position);
    };
    if (!bytes) return done();
    this.inFlight = writeAll(this.fd, buffers, this.position).then(written);
    this.inFlight.then(() => done(), done);
  }
}

/** pwritev until every byte is written: a short write (a full disk) continues, and reports ENOSPC on the next call. */
async function writeAll(fd: number, buffers: Buffer[], position: number): Promise<void> {
  for (let rest = buffers, at = position; rest.length;) {
    const n = await new Promise<number>((resolve, reject) =>
      writev(fd, rest, at, (err, written) => (err ? reject(err) : resolve(written))),
    );
    [rest, at] = advance(rest, at, n);
  }
}

/** What is left to write after `n` bytes went out at `at`. */
function advance(buffers: Buffer[], at: number, n: number): [Buffer[], number] {
  if (n === 0) throw new Error('The file system accepted no bytes.');
  const rest: Buffer[] = [];
  let skip = n;
  for (const b of buffers) {
    if (skip >= b.length) {
      skip -= b.length;
      continue;
    }
    rest.push(skip ? b.subarray(skip) : b);
    skip = 0;
  }
  return [rest, at + n];
}
