import type { IncomingMessage } from 'node:http';
import * as https from 'node:https';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CancelledError } from '../abort';
import { UserError } from '../errors';
import { DatastoreLocation, formatDatastorePath } from './datastorePath';
import type { PinnedAgent, TlsTrust } from './tls';

/**
 * What a `/folder` transfer needs of a session: the endpoint, its pinned (or CA-verified) agent and
 * cookie, and the timeout. A VsphereSession is one; a download worker thread builds its own.
 */
export interface FolderAccess {
  readonly url: string;
  readonly host: string;
  readonly timeoutMs: number;
  httpOptions(): { agent: PinnedAgent; socketPath: string; headers: Record<string, string> };
}

/** A FolderAccess as plain data for a worker thread, which builds its own agent from `trust`. */
export interface FolderAccessSpec {
  url: string;
  host: string;
  timeoutMs: number;
  trust: TlsTrust;
  headers: Record<string, string>;
}

/**
 * Datastore file transfers over the `/folder` HTTP interface, on the session's cookie and pinned TLS
 * agent: streaming, so a multi-GB VMDK never sits in memory. `datacenter` is the datacenter's
 * inventory path (`ha-datacenter` on a standalone ESXi).
 */
export function folderUrl(session: { url: string }, datacenter: string, loc: DatastoreLocation): URL {
  const url = new URL(session.url);
  url.pathname = `/folder/${loc.path.split('/').map(encodeURIComponent).join('/')}`;
  url.search = new URLSearchParams({ dcPath: datacenter, dsName: loc.datastore }).toString();
  return url;
}

export interface TransferOptions {
  signal?: AbortSignal;
  /** Called with the bytes moved so far. */
  onProgress?: (bytes: number) => void;
}

/** Bytes [start, end) of a file of `total` bytes. */
export interface ByteRange {
  start: number;
  end: number;
  total: number;
}

/** Streams a datastore file into `destination` and returns its size. Times out when no data moves for the session timeout. */
export async function downloadDatastoreFile(
  session: FolderAccess,
  datacenter: string,
  loc: DatastoreLocation,
  destination: Writable,
  options: TransferOptions = {},
): Promise<number> {
  const { signal, onProgress } = options;
  const response = await send(session, 'GET', folderUrl(session, datacenter, loc), loc, signal);
  let bytes = 0;
  response.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    onProgress?.(bytes);
  });
  await pipeline(response, destination, { signal }).catch(rethrowCancel(signal, loc));
  return bytes;
}

/** Streams `source` (of `size` bytes) to a datastore file, replacing it. */
export async function uploadDatastoreFile(
  session: FolderAccess,
  datacenter: string,
  loc: DatastoreLocation,
  source: Readable,
  size: number,
  options: TransferOptions = {},
): Promise<void> {
  const response = await send(session, 'PUT', folderUrl(session, datacenter, loc), loc, options.signal, {
    source,
    size,
    onProgress: options.onProgress,
  });
  response.resume();
}

interface Body {
  source: Readable;
  size: number;
  onProgress?: (bytes: number) => void;
}

function send(
  session: FolderAccess,
  method: 'GET' | 'PUT',
  url: URL,
  loc: DatastoreLocation,
  signal?: AbortSignal,
  body?: Body,
): Promise<IncomingMessage> {
  const { headers, ...own } = session.httpOptions();
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method,
        ...own,
        signal,
        headers: { ...headers, ...(body ? { 'Content-Length': String(body.size), 'Content-Type': 'application/octet-stream' } : {}) },
      },
      (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) return resolve(res);
        res.resume();
        reject(statusError(method, loc, status, res.statusMessage));
      },
    );
    req.setTimeout(session.timeoutMs, () => req.destroy(stalledError(session.host, loc)));
    req.on('error', rethrowCancel(signal, loc, reject));
    if (!body) return req.end();
    body.source.pipe(req);
    // counted after pipe() so that counting does not start the flow before the request reads it
    let bytes = 0;
    body.source.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      body.onProgress?.(bytes);
    });
  });
}

/** A /folder answer other than success. */
export function statusError(method: string, loc: DatastoreLocation, status: number, statusMessage = ''): UserError {
  return new UserError(
    `${method} ${formatDatastorePath(loc)} failed: HTTP ${status} ${statusMessage}`.trim(),
    status === 404 ? 'The file does not exist on the datastore.' : undefined,
    `HTTP_${status}`,
  );
}

export function stalledError(host: string, loc: DatastoreLocation): UserError {
  return new UserError(`${host} stopped answering while transferring ${formatDatastorePath(loc)}.`, undefined, 'TIMEOUT');
}

/**
 * The answer to a Range request must be that part (same first and last byte) of a file of the
 * expected size: a part from another offset would be written where it was asked for and hashed as good.
 */
export function checkRangeAnswer(
  status: number,
  contentRange: string | undefined,
  range: ByteRange,
  loc: DatastoreLocation,
): UserError | undefined {
  if (status === 200)
    return new UserError(`The host sent the whole of ${formatDatastorePath(loc)} when asked for a part.`, undefined, 'RANGE_IGNORED');
  if (status !== 206) return statusError('GET', loc, status);
  const [, first, last, size] = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(contentRange?.trim() ?? '') ?? [];
  const total = Number(size);
  if (total !== range.total) {
    return new UserError(
      `${formatDatastorePath(loc)} is now ${Number.isFinite(total) ? `${total} bytes` : 'of unknown size'}, not ${range.total}: it changed during the transfer.`,
      'Run the backup again.',
      'SIZE_CHANGED',
    );
  }
  if (Number(first) === range.start && Number(last) === range.end - 1) return undefined;
  return new UserError(
    `The host sent ${contentRange ? `"${contentRange}"` : 'no Content-Range'} of ${formatDatastorePath(loc)} when asked for bytes ${range.start}-${range.end - 1}.`,
    'A proxy between here and the host may mangle ranged requests; run the backup again.',
    'RANGE_MISMATCH',
  );
}

function rethrowCancel(
  signal: AbortSignal | undefined,
  loc: DatastoreLocation,
  reject: (e: unknown) => void = (e) => {
    throw e;
  },
) {
  return (err: unknown) => reject(signal?.aborted ? new CancelledError(`Transfer of ${formatDatastorePath(loc)}`) : err);
}
