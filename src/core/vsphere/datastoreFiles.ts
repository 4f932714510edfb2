import * as https from 'node:https';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CancelledError } from '../abort';
import { UserError } from '../errors';
import { DatastoreLocation, formatDatastorePath } from './datastorePath';
import { VsphereSession } from './session';

/**
 * Datastore file transfers over the `/folder` HTTP interface, on the session's cookie and pinned TLS
 * agent: streaming, so a multi-GB VMDK never sits in memory. `datacenter` is the datacenter's
 * inventory path (`ha-datacenter` on a standalone ESXi).
 */
export function folderUrl(session: VsphereSession, datacenter: string, loc: DatastoreLocation): URL {
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

/** Streams a datastore file into `destination`. Times out when no data moves for the session timeout. */
export async function downloadDatastoreFile(session: VsphereSession, datacenter: string, loc: DatastoreLocation, destination: Writable, options: TransferOptions = {}): Promise<number> {
  const response = await send(session, 'GET', folderUrl(session, datacenter, loc), loc, options.signal);
  let bytes = 0;
  response.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    options.onProgress?.(bytes);
  });
  await pipeline(response, destination, { signal: options.signal }).catch(rethrowCancel(options.signal, loc));
  return bytes;
}

/** Streams `source` (of `size` bytes) to a datastore file, replacing it. */
export async function uploadDatastoreFile(session: VsphereSession, datacenter: string, loc: DatastoreLocation, source: Readable, size: number, options: TransferOptions = {}): Promise<void> {
  const response = await send(session, 'PUT', folderUrl(session, datacenter, loc), loc, options.signal, { source, size, onProgress: options.onProgress });
  response.resume();
}

interface Body {
  source: Readable;
  size: number;
  onProgress?: (bytes: number) => void;
}

function send(session: VsphereSession, method: 'GET' | 'PUT', url: URL, loc: DatastoreLocation, signal?: AbortSignal, body?: Body): Promise<import('node:http').IncomingMessage> {
  const { headers, ...own } = session.httpOptions();
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, ...own, signal, headers: { ...headers, ...(body ? { 'Content-Length': String(body.size), 'Content-Type': 'application/octet-stream' } : {}) } }, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 200 && status < 300) return resolve(res);
      res.resume();
      reject(new UserError(`${method} ${formatDatastorePath(loc)} failed: HTTP ${status} ${res.statusMessage ?? ''}`.trim(), status === 404 ? 'The file does not exist on the datastore.' : undefined, `HTTP_${status}`));
    });
    req.setTimeout(session.timeoutMs, () => req.destroy(new UserError(`${session.host} stopped answering while transferring ${formatDatastorePath(loc)}.`, undefined, 'TIMEOUT')));
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

function rethrowCancel(signal: AbortSignal | undefined, loc: DatastoreLocation, reject: (e: unknown) => void = (e) => { throw e; }) {
  return (err: unknown) => reject(signal?.aborted ? new CancelledError(`Transfer of ${formatDatastorePath(loc)}`) : err);
}
