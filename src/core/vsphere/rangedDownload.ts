import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { CancelledError } from '../abort';
import { UserError } from '../errors';
import { downloadDatastoreFile, FolderAccess, FolderAccessSpec, TransferOptions } from './datastoreFiles';
import { DatastoreLocation, formatDatastorePath } from './datastorePath';
import { OffsetWriter } from './offsetWriter';
import type { FromWorker, RangeJob, ToWorker } from './rangeWorker';

/** Files this big or bigger come in parallel ranges; for smaller ones two more TLS handshakes and threads do not pay. */
export const RANGED_MIN_BYTES = 64 << 20;
/**
 * Worker threads keep TLS decryption and the writes off the extension host's thread. Two
 * connections: on the 2-core lab one is as fast (~450 MB/s, bench/backup), but one TCP connection
 * carries at most its window per round trip, so over a WAN link or from a busy hostd a second one
 * keeps the download going.
 */
const CONNECTIONS = 2;
/** Ranges are handed out in this order and size, so the file is complete from its start up to close behind the fastest connection. */
const BLOCK_BYTES = 32 << 20;

/** A session, or anything else that gives /folder access on this thread and as data for a worker. */
export type RangedAccess = FolderAccess & { folderAccessSpec(): FolderAccessSpec };

export interface FileDownloadOptions extends TransferOptions {
  /** The size the file should have (from its descriptor or the datastore browser): a large one comes in parallel ranges. */
  size?: number;
  /** Called as the file becomes complete from its start up to `bytes`, for work that follows the writer in order (hashing). */
  onWritten?: (bytes: number) => void;
}

/**
 * Downloads a datastore file into `path` (created or truncated) and returns its size. A file of
 * RANGED_MIN_BYTES or more comes in ranges over CONNECTIONS connections, each in a worker thread; a
 * host that does not honour Range gets a single stream, like a small file.
 */
export async function downloadDatastoreFileTo(
  session: RangedAccess,
  datacenter: string,
  loc: DatastoreLocation,
  path: string,
  options: FileDownloadOptions = {},
): Promise<number> {
  if (options.size !== undefined && options.size >= RANGED_MIN_BYTES) {
    try {
      return await downloadInRanges({ access: session.folderAccessSpec(), datacenter, loc, path, size: options.size }, options);
    } catch (err) {
      if (!(err instanceof RangesIgnored)) throw err;
    }
  }
  const handle = await fs.open(path, 'w');
  try {
    const writer = new OffsetWriter(handle.fd, 0, options.onWritten);
    return await downloadDatastoreFile(session, datacenter, loc, writer, options);
  } finally {
    await handle.close();
  }
}

/** The host answered a range with the whole file before any part was complete: a single stream does instead. */
class RangesIgnored extends Error {}

async function downloadInRanges(job: RangeJob, options: FileDownloadOptions): Promise<number> {
  await fs.writeFile(job.path, '');
  const blocks = Array.from({ length: Math.ceil(job.size / BLOCK_BYTES) }, (_, i) => ({
    index: i,
    start: i * BLOCK_BYTES,
    end: Math.min(job.size, (i + 1) * BLOCK_BYTES),
  }));
  const complete = new Array<boolean>(blocks.length).fill(false);
  let contiguous = 0; // blocks complete from the start
  let next = 0;
  let received = 0;
  let failure: Error | undefined;
  const workers: Worker[] = [];

  const stopAll = (err: Error) => {
    failure ??= err;
    for (const w of workers) w.postMessage({ stop: true } satisfies ToWorker);
  };
  const handOut = (w: Worker) =>
    w.postMessage(next < blocks.length && !failure ? ({ fetch: blocks[next++] } satisfies ToWorker) : ({ stop: true } satisfies ToWorker));
  const onMessage = (w: Worker, m: FromWorker) => {
    if ('progress' in m) {
      received += m.progress;
      options.onProgress?.(received);
    } else if ('done' in m) {
      complete[m.done] = true;
      const before = contiguous;
      while (contiguous < blocks.length && complete[contiguous]) contiguous++;
      if (contiguous > before) options.onWritten?.(contiguous === blocks.length ? job.size : contiguous * BLOCK_BYTES);
      handOut(w);
    } else {
      const e = m.error;
      // the file is truncated for a single stream only while no part of it is complete (nor hashed)
      if (e.user && e.code === 'RANGE_IGNORED' && contiguous === 0) stopAll(new RangesIgnored(e.message));
      else stopAll(e.user ? new UserError(e.message, e.hint, e.code) : Object.assign(new Error(e.message), { code: e.code }));
    }
  };

  const onAbort = () => stopAll(new CancelledError(`Transfer of ${formatDatastorePath(job.loc)}`));
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (options.signal?.aborted) onAbort();
    const exits = Array.from({ length: Math.min(CONNECTIONS, blocks.length) }, () => {
      const w = new Worker(join(__dirname, 'rangeWorker.js'), { workerData: job });
      workers.push(w);
      w.on('message', (m: FromWorker) => onMessage(w, m));
      w.on('error', (err) => stopAll(err));
      handOut(w);
      return new Promise<void>((resolve) => w.once('exit', () => resolve()));
    });
    await Promise.all(exits);
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  if (failure) throw failure;
  if (contiguous !== blocks.length)
    throw new UserError(
      `The download of ${formatDatastorePath(job.loc)} ended with ${blocks.length - contiguous} of ${blocks.length} parts missing.`,
      'Run the backup again.',
      'SHORT_READ',
    );
  return received;
}
