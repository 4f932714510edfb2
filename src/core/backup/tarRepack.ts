import { Transform, TransformCallback } from 'node:stream';
import { extract, Extract, Header, pack, Pack } from 'tar-stream';

/** One entry's data as tar-stream's extractor gives it (a streamx Readable, async-iterable). */
export type EntryStream = AsyncIterable<Buffer> & { resume(): void; on(event: 'end', listener: () => void): unknown; pipe(to: NodeJS.WritableStream | object): unknown };

/**
 * A tar stream parsed and packed again with tar-stream (pax records, long names, xattrs and big
 * sizes kept), where a subclass decides per entry: pass it on, change it or leave it out. Entries
 * are handled one at a time, in order; backpressure holds end to end.
 */
export abstract class TarRepacker extends Transform {
  private readonly parser: Extract = extract();
  protected readonly packer: Pack = pack();
  private readonly repacked: Promise<void>;

  constructor() {
    super({ highWaterMark: 1 << 20 });
    this.parser.on('entry', (header, stream, next) => {
      this.onEntry(header, stream as unknown as EntryStream).then(() => next(), (err: unknown) => this.destroy(err as Error));
    });
    this.parser.on('finish', () => this.packer.finalize());
    this.packer.on('data', (chunk: unknown) => {
      if (!this.push(chunk as Buffer)) this.packer.pause();
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
    // tar-stream's streamx Writable: write() says whether to wait for 'drain' (no callback)
    if (this.parser.write(chunk)) done();
    else this.parser.once('drain', () => done());
  }

  override _flush(done: TransformCallback): void {
    this.parser.end(undefined);
    this.repacked.then(() => done(), done);
  }
}
