import { createHash, Hash } from 'node:crypto';
import { constants as fsConstants, createWriteStream, promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { Readable, Transform, TransformCallback, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ProgressMeter } from './progress';

/** Passes bytes through unchanged while hashing and counting them. */
export class HashCounter extends Transform {
  private readonly hash: Hash = createHash('sha256');
  size = 0;

  constructor(private readonly meter?: ProgressMeter) {
    super({ highWaterMark: 1 << 20 });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    this.meter?.add(chunk.length);
    done(null, chunk);
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}

export interface Hashed {
  size: number;
  sha256: string;
}

/**
 * Streams `source` (through optional `transforms`, e.g. gzip) into `file`, hashing what is written.
 * Memory stays flat: pipeline() applies backpressure end to end. The file is fsync'ed before the
 * promise resolves, so a backup renamed "complete" afterwards is on disk. On abort the file is left
 * for the caller to remove with its folder.
 */
export async function streamToFile(
  source: NodeJS.ReadableStream | Readable,
  file: string,
  options: { signal?: AbortSignal; meter?: ProgressMeter; transforms?: Transform[] } = {},
): Promise<Hashed> {
  const counter = new HashCounter(options.meter);
  const out = createWriteStream(file, { highWaterMark: 1 << 20 });
  await pipeline([source as Readable, ...(options.transforms ?? []), counter, out], { signal: options.signal });
  await fsyncFile(file);
  return { size: counter.size, sha256: counter.digest() };
}

async function fsyncFile(file: string): Promise<void> {
  const handle = await fs.open(file, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Flushes to disk behind a writer this often, so the final fsync does not wait for the whole file. */
const FLUSH_STEP = 64 << 20;

/**
 * Hashes a file in order while another writer fills it (a download in parallel ranges, even from
 * other threads): `advance(n)` says the first n bytes are written, and they are read back from the
 * page cache and hashed. Behind the hash the file is flushed to disk (one fdatasync at a time), so
 * the disk works during the download instead of after it. `finish` resolves once all is hashed and
 * fsync'ed; `close` in any case.
 */
export class FollowingHasher {
  private readonly hash = createHash('sha256');
  private readonly buffer = Buffer.allocUnsafe(1 << 20);
  private hashed = 0;
  private written = 0;
  private flushedTo = 0;
  private flushing?: Promise<void>;
  private reading?: Promise<void>;
  private failure?: { error: unknown };

  private constructor(private readonly handle: FileHandle) {}

  /** Creates `file` empty for the writer (opened for writing too, which an fsync needs on some systems). */
  static async create(file: string): Promise<FollowingHasher> {
    return new FollowingHasher(await fs.open(file, 'w+'));
  }

  advance(written: number): void {
    if (written <= this.written) return;
    this.written = written;
    this.reading ??= this.readUpTo().finally(() => (this.reading = undefined));
  }

  async finish(size: number): Promise<Hashed> {
    this.advance(size);
    await this.reading;
    await this.flushing;
    if (this.failure) throw this.failure.error;
    await this.handle.sync();
    return { size: this.hashed, sha256: this.hash.digest('hex') };
  }

  /** Stops following (after a failed download, whose caller removes the file) and closes the file. */
  async close(): Promise<void> {
    this.written = this.hashed;
    await this.reading;
    await this.flushing;
    await this.handle.close();
  }

  private async readUpTo(): Promise<void> {
    try {
      while (this.hashed < this.written) {
        const { bytesRead } = await this.handle.read(this.buffer, 0, Math.min(this.buffer.length, this.written - this.hashed), this.hashed);
        if (bytesRead === 0) throw new Error(`The file ends at ${this.hashed} bytes, but ${this.written} were written.`);
        this.hash.update(this.buffer.subarray(0, bytesRead));
        this.hashed += bytesRead;
        this.flushBehind();
      }
    } catch (err) {
      this.failure ??= { error: err };
      this.written = this.hashed;
    }
  }

  /** At most one flush at a time: a slow disk gets fewer, larger ones. Its failure is reported by finish(). */
  private flushBehind(): void {
    if (this.flushing || this.hashed - this.flushedTo < FLUSH_STEP) return;
    this.flushedTo = this.hashed;
    this.flushing = this.handle
      .datasync()
      .catch((err: unknown) => void (this.failure ??= { error: err }))
      .finally(() => (this.flushing = undefined));
  }
}

/** sha256 and size of a regular file, read as a stream; a symlink is refused (ELOOP), never followed. */
export async function hashFile(file: string, signal?: AbortSignal, meter?: ProgressMeter): Promise<Hashed> {
  return hashStream(await openRegularFile(file), signal, meter);
}

/** sha256 and size of what a stream yields. */
export async function hashStream(source: Readable, signal?: AbortSignal, meter?: ProgressMeter): Promise<Hashed> {
  const counter = new HashCounter(meter);
  const sink = new Writable({ write: (_c, _e, done) => done() });
  await pipeline(source, counter, sink, { signal });
  return { size: counter.size, sha256: counter.digest() };
}

/**
 * A read stream of `file` opened with O_NOFOLLOW, refusing anything but a regular file: backup
 * folders may be writable by others, who could swap a file for a symlink after it was checked.
 */
export async function openRegularFile(file: string): Promise<Readable> {
  const handle = await fs.open(file, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
  try {
    if (!(await handle.stat()).isFile()) throw new Error(`${file} is not a regular file.`);
  } catch (err) {
    await handle.close();
    throw err;
  }
  return handle.createReadStream({ highWaterMark: 1 << 20 });
}
