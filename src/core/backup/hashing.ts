import { createHash, Hash } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
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

/**
 * A writable end for code that pushes into a stream (an HTTP download): what is written is hashed
 * and streamed into `file`, fsync'ed when `done` resolves. One hop fewer than a PassThrough into
 * streamToFile, which counts at hundreds of MB/s.
 */
export function fileSink(file: string, options: { signal?: AbortSignal; meter?: ProgressMeter } = {}): { sink: Writable; done: Promise<Hashed> } {
  const counter = new HashCounter(options.meter);
  const out = createWriteStream(file, { highWaterMark: 1 << 20 });
  const done = pipeline(counter, out, { signal: options.signal }).then(async () => {
    await fsyncFile(file);
    return { size: counter.size, sha256: counter.digest() };
  });
  return { sink: counter, done };
}

/** sha256 and size of a file, read as a stream. */
export async function hashFile(file: string, signal?: AbortSignal, meter?: ProgressMeter): Promise<Hashed> {
  const counter = new HashCounter(meter);
  const sink = new Writable({ write: (_c, _e, done) => done() });
  await pipeline(createReadStream(file, { highWaterMark: 1 << 20 }), counter, sink, { signal });
  return { size: counter.size, sha256: counter.digest() };
}
