import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { CancelledError } from '../abort';
import { UserError } from '../errors';
import { folderUrl, TransferOptions } from './datastoreFiles';
import { DatastoreLocation, formatDatastorePath } from './datastorePath';
import { VsphereSession } from './session';
import { TlsTrust } from './tls';

/** What the worker needs: no session object crosses the thread boundary, only its cookie and trust. */
export interface DownloadJob {
  url: string;
  headers: Record<string, string>;
  trust: TlsTrust;
  timeoutMs: number;
  file: string;
  host: string;
  /** The datastore path, for messages. */
  what: string;
}

export type DownloadMessage =
  | { kind: 'progress'; bytes: number }
  | { kind: 'done'; size: number; sha256: string }
  | { kind: 'cancelled' }
  | { kind: 'error'; name: string; message: string; hint?: string; code?: string };

/**
 * Downloads a datastore file into `file` with its sha256, fsync'ed when the promise resolves: the
 * fast path for multi-GB flat VMDKs. The transfer runs in a worker thread (fileDownloadWorker) on
 * the session's cookie and TLS trust; memory stays at one 1 MiB block whatever the size. On cancel
 * or error the partial file is left for the caller to remove with its folder.
 */
export function downloadToFile(session: VsphereSession, datacenter: string, loc: DatastoreLocation, file: string, options: TransferOptions = {}): Promise<{ size: number; sha256: string }> {
  const what = formatDatastorePath(loc);
  if (options.signal?.aborted) return Promise.reject(new CancelledError(`Transfer of ${what}`));
  const { headers, trust } = session.httpOptions();
  const job: DownloadJob = { url: folderUrl(session, datacenter, loc).toString(), headers, trust, timeoutMs: session.timeoutMs, file, host: session.host, what };
  // fileDownloadWorker.js sits next to this module in out/ and next to the bundles in dist/
  const worker = new Worker(join(__dirname, 'fileDownloadWorker.js'), { workerData: job });
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (finish: () => void) => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', abort);
      void worker.terminate();
      finish();
    };
    const abort = () => worker.postMessage('abort');
    options.signal?.addEventListener('abort', abort, { once: true });
    worker.on('message', (m: DownloadMessage) => {
      if (m.kind === 'progress') options.onProgress?.(m.bytes);
      else if (m.kind === 'done') settle(() => resolve({ size: m.size, sha256: m.sha256 }));
      else if (m.kind === 'cancelled') settle(() => reject(new CancelledError(`Transfer of ${what}`)));
      else settle(() => reject(Object.assign(new UserError(m.message, m.hint, m.code), { name: m.name })));
    });
    worker.on('error', (err) => settle(() => reject(err)));
    worker.on('exit', (code) => settle(() => reject(new Error(`The download worker for ${what} stopped (exit code ${code}) before the transfer ended.`))));
  });
}
