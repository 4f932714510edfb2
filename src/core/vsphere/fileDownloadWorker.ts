import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import * as https from 'node:https';
import { parentPort, workerData } from 'node:worker_threads';
import { UserError } from '../errors';
import { httpStatusError } from './datastoreFiles';
import type { DownloadJob, DownloadMessage } from './fileDownload';
import { PinnedAgent } from './tls';

/**
 * Worker thread of downloadToFile: GET, sha256 and write of one datastore file, all on this thread
 * (as curl does on its one thread). The 16 KiB TLS records are gathered into one reused 1 MiB block
 * that is hashed and written with writeSync: the main thread's event loop stays free, and in this
 * fresh isolate the stream code stays monomorphic (measured: ~45% less user CPU than the same loop
 * on a busy main thread).
 */
const BLOCK = 1 << 20;
const job = workerData as DownloadJob;
const port = parentPort!;
const post = (m: DownloadMessage) => port.postMessage(m);
const agent = new PinnedAgent(job.trust, job.timeoutMs);
let fd: number | undefined;
let finished = false;

const req = https.get(job.url, { agent, headers: job.headers }, (res) => {
  const status = res.statusCode ?? 0;
  if (status < 200 || status >= 300) {
    res.resume();
    return fail(httpStatusError('GET', job.what, status, res.statusMessage));
  }
  try {
    fd = openSync(job.file, 'w');
  } catch (err) {
    return fail(err);
  }
  const hash = createHash('sha256');
  const block = Buffer.allocUnsafeSlow(BLOCK);
  let used = 0;
  let size = 0;
  const flush = () => {
    const view = block.subarray(0, used);
    hash.update(view);
    for (let off = 0; off < used; ) off += writeSync(fd!, view, off);
    used = 0;
    post({ kind: 'progress', bytes: size });
  };
  res.on('data', (chunk: Buffer) => {
    if (finished) return;
    try {
      size += chunk.length;
      for (let off = 0; off < chunk.length; ) {
        const n = chunk.copy(block, used, off);
        used += n;
        off += n;
        if (used === BLOCK) flush();
      }
    } catch (err) {
      fail(err); // ENOSPC, EIO…
    }
  });
  res.on('end', () => {
    if (finished) return;
    try {
      if (used) flush();
      fsyncSync(fd!); // the backup is renamed complete only once its files are on disk
      close();
      post({ kind: 'done', size, sha256: hash.digest('hex') });
    } catch (err) {
      fail(err);
    }
  });
  res.on('error', fail);
});
req.setTimeout(job.timeoutMs, () => req.destroy(new UserError(`${job.host} stopped answering while transferring ${job.what}.`, undefined, 'TIMEOUT')));
req.on('error', fail);

port.on('message', (m: 'abort') => {
  if (m !== 'abort' || finished) return;
  close();
  req.destroy();
  post({ kind: 'cancelled' });
});

function fail(err: unknown): void {
  if (finished) return;
  close();
  req.destroy();
  const e = err as Partial<UserError> & { message?: string };
  post({ kind: 'error', name: String(e.name ?? 'Error'), message: String(e.message ?? err), hint: e.hint, code: e.code });
}

function close(): void {
  finished = true;
  agent.destroy();
  if (fd === undefined) return;
  try {
    closeSync(fd);
  } catch {
    // already failed on this descriptor; the error that matters was reported
  }
  fd = undefined;
}
