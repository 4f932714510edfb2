import { Transform, TransformCallback } from 'node:stream';
import type { Extract, Header, Pack } from 'tar-stream';

export type TarStream = typeof import('tar-stream');

/** tar-stream, loaded on first use: it has its own bundle (dist/vendor/), activation does not need it. */
export function loadTarStream(): Promise<TarStream> {
  return import('tar-stream');
}

/** Writes a chunk into tar-stream's extractor, a streamx Writable: write() says whether to wait for 'drain' (it takes no callback). */
export function feed(parser: Extract, chunk: Buffer, done: () => void): void {
  if (parser.write(chunk)) done();
  else parser.once('drain', done);
}

/** One entry's data as tar-stream's extractor gives it (a streamx Readable, async-iterable). */
export type EntryStream = AsyncIterable<Buffer> & {
  resume(): void;
  on(event: 'end', listener: () => void): unknown;
  pipe(to: NodeJS.WritableStream | object): unknown;
};

/**
 * A tar stream parsed and packed again with tar-stream (pax records, long names, xattrs and big
 * sizes kept), where a subclass decides per entry: pass it on, change it or leave it out. Entries
 * are handled one at a time, in order; backpressure holds end to end.
 */
export abstract class TarRepacker extends Transform {
  private readonly parser: Extract;
  protected readonly packer: Pack;
  private readonly repacked: Promise<void>;

  constructor(tar: TarStream) {
    super({ highWaterMark: 1 << 20 });
    this.parser = tar.extract();
    this.packer = tar.pack();
    this.parser.on('entry', (header, stream, next) => {
      this.onEntry(header, stream as unknown as EntryStream).then(
        () => next(),
        (err: unknown) => this.destroy(err as Error),
      );
    });
    this.parser.on('finish', () => this.packer.finalize());
    this.packer.on('data', (chunk: unknown) => {
      if (!this.push(chunk)) this.packer.pause();
    });
    this.repacked = new Promise<void>((resolve, reject) => {
      this.packer.on('end', resolve).on('error', reject);
      this.parser.on('error', reject);
    });
    this.repacked.catch((err: unknown) => this.destroy(err as Error));
  }

  /** Handles one entry; resolves once its data is consumed (and written on, if it is kept). */
  protected abstract onEntry(header: Header, stream: EntryStream): Promise<void>;

  /** Passes an entry on as it came. */
  protected keep(header: Header, stream: EntryStream): Promise<void> {
    return new Promise((resolve) => stream.pipe(this.packer.entry(header, () => resolve())));
  }

  /** Reads and drops an entry's data. */
  protected skip(stream: EntryStream): Promise<void> {
    return new Promise((resolve) => {
      stream.on('end', resolve);
      stream.resume();
    });
  }

  override _read(size: number): void {
    this.packer.resume();
    super._read(size);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    feed(this.parser, chunk, () => done());
  }

  override _flush(done: TransformCallback): void {
    this.parser.end(undefined);
    this.repacked.then(() => done(), done);
  }
}
