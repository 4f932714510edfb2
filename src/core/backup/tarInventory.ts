import { Readable, Transform, TransformCallback, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { Extract } from 'tar-stream';
import { UserError } from '../errors';
import { Hashed, HashCounter } from './hashing';
import { Compression, Inventory } from './manifest';
import { formatBytes, ProgressMeter } from './progress';
import { sparseEntry } from './sparseTar';
import { feed, loadTarStream, TarStream } from './tarRepack';

/**
 * Counts what a tar holds while it passes through unchanged: entries (without the root `./`) and
 * the bytes of regular files (a sparse one by its real size). Parsed with tar-stream; a malformed tar fails the stream.
 */
export class TarCounter extends Transform {
  readonly counted: Inventory = { entries: 0, fileBytes: 0 };
  private readonly parser: Extract;
  private readonly parsed: Promise<void>;

  constructor(tar: TarStream) {
    super({ highWaterMark: 1 << 20 });
    this.parser = tar.extract();
    this.parser.on('entry', (header, stream, next) => {
      if (header.name !== './' && header.name !== '.') {
        this.counted.entries++;
        if (header.type === 'file' || header.type === 'contiguous-file')
          this.counted.fileBytes += sparseEntry(header)?.size ?? header.size ?? 0;
      }
      stream.on('end', next).resume();
    });
    this.parsed = new Promise((resolve, reject) => this.parser.on('finish', resolve).on('error', reject));
    this.parsed.catch((err: unknown) => this.destroy(err as Error));
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    feed(this.parser, chunk, () => done(null, chunk));
  }

  override _flush(done: TransformCallback): void {
    this.parser.end(undefined);
    this.parsed.then(() => done(), done);
  }
}

/** sha256 and size of a stored archive, and what its tar holds (gunzipped first when compressed): verify's one read. */
export async function hashAndCountArchive(
  source: Readable,
  compression: Compression,
  signal?: AbortSignal,
  meter?: ProgressMeter,
): Promise<Hashed & { tar: Inventory }> {
  const hasher = new HashCounter(meter);
  const counter = new TarCounter(await loadTarStream());
  const sink = new Writable({ write: (_c, _e, done) => done() });
  await pipeline([source, hasher, ...(compression === 'gzip' ? [createGunzip()] : []), counter, sink], { signal });
  return { size: hasher.size, sha256: hasher.digest(), tar: counter.counted };
}

/**
 * Refuses a tar that holds less than the volume did: Docker leaves out what it cannot read and
 * still ends the tar normally (its log says "Can't add file … to tar"), e.g. a file removed or
 * replaced while the volume is read.
 */
export function checkTarComplete(volume: string, inVolume: Inventory, inTar: Inventory): void {
  if (inTar.entries >= inVolume.entries && inTar.fileBytes >= inVolume.fileBytes) return;
  throw new UserError(
    `The tar of volume ${volume} is incomplete: the volume holds ${inVolume.entries} entries and ${formatBytes(inVolume.fileBytes)} of files, the tar ${inTar.entries} and ${formatBytes(inTar.fileBytes)}. Docker leaves out files it cannot read or that change while it reads them (its log says "Can't add file … to tar").`,
    'Back up with stopContainers (so nothing writes to the volume meanwhile), or use snapshot mode.',
    'TAR_INCOMPLETE',
  );
}
