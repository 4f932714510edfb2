/**
 * Worker thread of a download in parallel ranges (rangedDownload.ts): one keep-alive TLS connection
 * of its own (RangeConnection), verified with the session's trust, fetching the ranges it is handed
 * into the shared file. The cookie comes with the job; nothing here logs.
 */
import { closeSync, openSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { ErrorCode, UserError } from '../errors';
import { FolderAccessSpec, folderUrl } from './datastoreFiles';
import { DatastoreLocation } from './datastorePath';
import { RangeConnection } from './rangeConnection';
import { PinnedAgent } from './tls';

export interface RangeJob {
  access: FolderAccessSpec;
  datacenter: string;
  loc: DatastoreLocation;
  path: string;
  size: number;
}

export type ToWorker = { fetch: { index: number; start: number; end: number } } | { stop: true };
export type FromWorker =
  | { progress: number }
  | { done: number }
  // a UserError keeps its typed code across the thread boundary; anything else brings its errno code, if any
  | {
      error:
        | { message: string; hint?: string; code?: ErrorCode; user: true }
        | { message: string; hint?: undefined; code?: string; user: false };
    };

/** Progress goes to the main thread once a MiB, not per write. */
const PROGRESS_STEP = 1 << 20;

function serve(port: NonNullable<typeof parentPort>, job: RangeJob): void {
  const agent = new PinnedAgent(job.access.trust, job.access.timeoutMs);
  const fd = openSync(job.path, 'r+');
  const connection = new RangeConnection(job.access, agent, job.loc, folderUrl(job.access, job.datacenter, job.loc), fd);
  const post = (m: FromWorker) => port.postMessage(m);
  let current: AbortController | undefined;
  let running: Promise<void> = Promise.resolve();
  let stopped = false; // told to stop twice (no more parts, and a failure elsewhere): the file is closed once

  const fetch = async (index: number, start: number, end: number, signal: AbortSignal): Promise<void> => {
    let unreported = 0;
    const onWritten = (bytes: number) => {
      unreported += bytes;
      if (unreported < PROGRESS_STEP) return;
      post({ progress: unreported });
      unreported = 0;
    };
    try {
      await connection.fetch({ start, end, total: job.size }, onWritten, signal);
      post({ progress: unreported });
      post({ done: index });
    } catch (err) {
      if (signal.aborted) return;
      post({
        error:
          err instanceof UserError
            ? { message: err.message, hint: err.hint, code: err.code, user: true }
            : { message: (err as Error).message, code: (err as NodeJS.ErrnoException).code, user: false },
      });
    }
  };

  port.on('message', (m: ToWorker) => {
    if ('fetch' in m) {
      current = new AbortController();
      running = fetch(m.fetch.index, m.fetch.start, m.fetch.end, current.signal);
      return;
    }
    if (stopped) return;
    stopped = true;
    current?.abort();
    // writes are synchronous in this thread: once the fetch settled, none is left and the file can close
    void running.then(() => {
      connection.close();
      closeSync(fd);
      agent.destroy();
      port.close();
    });
  });
}

if (parentPort) serve(parentPort, workerData as RangeJob);
