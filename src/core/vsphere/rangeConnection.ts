import { writeSync } from 'node:fs';
import { isIP } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { HTTPParser } from 'http-parser-js';
import { CancelledError } from '../abort';
import { UserError } from '../errors';
import { ByteRange, checkRangeAnswer, FolderAccessSpec, stalledError } from './datastoreFiles';
import { DatastoreLocation, formatDatastorePath } from './datastorePath';
import { PinnedAgent } from './tls';

/** Body bytes are gathered to about this size before one positional write. */
const BATCH_BYTES = 256 << 10;
/** The most one TLS record can hold: with less room left the batch is written out first. */
const RECORD_BYTES = 16 << 10;

interface Fetch {
  range: ByteRange;
  position: number;
  onWritten: (bytes: number) => void;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * One keep-alive HTTPS connection of a download worker (rangeWorker.ts), fetching byte ranges of a
 * `/folder` URL straight into an open file. Not node:http: it hands over each 16 KiB TLS record as
 * a new Buffer through a stream and an event (~65,000 a GiB), which kept a thread at ~3 s of CPU a
 * GiB. Here TLS decrypts into one batch buffer (the socket's `onread`), http-parser-js reads the
 * response, and a full batch goes to the file in one blocking positional write (this thread has
 * nothing else to do): about half the CPU (bench/backup).
 */
export class RangeConnection {
  private socket?: TLSSocket;
  private connecting?: Promise<TLSSocket>;
  private readonly parser = new HTTPParser(HTTPParser.RESPONSE);
  private readonly batch = Buffer.allocUnsafe(BATCH_BYTES + RECORD_BYTES);
  /** Body bytes gathered in `batch`, not yet written. */
  private used = 0;
  private current?: Fetch;
  /** The file as messages name it. */
  private readonly what: string;

  constructor(
    private readonly access: FolderAccessSpec,
    private readonly agent: PinnedAgent,
    private readonly loc: DatastoreLocation,
    private readonly url: URL,
    private readonly fd: number,
  ) {
    this.what = formatDatastorePath(loc);
    this.parser[HTTPParser.kOnHeadersComplete] = (info) => {
      const problem =
        this.current && checkRangeAnswer(info.statusCode, headerValue(info.headers, 'content-range'), this.current.range, this.loc);
      if (problem) this.fail(problem);
    };
    this.parser[HTTPParser.kOnBody] = (chunk, offset, length) => {
      if (!this.current) return; // the rest of an answer already refused
      // a view into the batch (http-parser-js slices); the record landed at `used`, and bytes of the
      // response head before the body are dropped
      const at = chunk.byteOffset - this.batch.byteOffset + offset;
      if (at !== this.used) this.batch.copyWithin(this.used, at, at + length);
      this.used += length;
    };
    this.parser[HTTPParser.kOnMessageComplete] = () => this.complete();
  }

  /** Writes bytes [start, end) of the file at the same offsets; `onWritten` gets each write's size. */
  async fetch(range: ByteRange, onWritten: (bytes: number) => void, signal: AbortSignal): Promise<void> {
    const socket = await this.connect();
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => this.fail(new CancelledError(`Transfer of ${this.what}`));
      signal.addEventListener('abort', onAbort, { once: true });
      const done = () => signal.removeEventListener('abort', onAbort);
      this.current = { range, position: range.start, onWritten, resolve: () => (done(), resolve()), reject: (e) => (done(), reject(e)) };
      if (signal.aborted) return onAbort();
      const headers = { Host: this.url.host, ...this.access.headers, Range: `bytes=${range.start}-${range.end - 1}` };
      socket.write(
        `GET ${this.url.pathname}${this.url.search} HTTP/1.1\r\n${Object.entries(headers)
          .map(([k, v]) => `${k}: ${v}\r\n`)
          .join('')}\r\n`,
      );
    });
  }

  close(): void {
    this.socket?.destroy();
  }

  private connect(): Promise<TLSSocket> {
    if (this.socket && !this.socket.destroyed) return Promise.resolve(this.socket);
    this.connecting ??= new Promise<TLSSocket>((resolve, reject) => {
      const host = this.url.hostname.replace(/^\[|\]$/g, '');
      const options = {
        host,
        port: Number(this.url.port || 443),
        servername: isIP(host) ? undefined : host,
        onread: { buffer: () => this.batch.subarray(this.used), callback: (n: number) => this.received(n) },
      };
      this.agent.createConnection(options, (err, socket) => (err ? reject(err) : resolve(socket as TLSSocket)));
    }).then(
      (socket) => {
        this.connecting = undefined;
        this.socket = socket;
        this.used = 0;
        this.parser.reinitialize(HTTPParser.RESPONSE);
        socket.setTimeout(this.access.timeoutMs, () => this.fail(stalledError(this.access.host, this.loc)));
        socket.on('error', (err: Error) =>
          this.fail(
            new UserError(
              `The connection to ${this.access.host} failed while sending ${this.what} (${err.message}).`,
              'Run the backup again.',
              'CONNECTION_LOST',
              { cause: err },
            ),
          ),
        );
        socket.on('close', () =>
          this.fail(
            new UserError(
              `${this.access.host} closed the connection while sending ${this.what}.`,
              'Run the backup again.',
              'CONNECTION_LOST',
            ),
          ),
        );
        return socket;
      },
      (err: unknown) => {
        this.connecting = undefined;
        throw err;
      },
    );
    return this.connecting;
  }

  /** `n` bytes were decrypted into the batch at `used`. */
  private received(n: number): void {
    const result = this.parser.execute(this.batch, this.used, n);
    if (result instanceof Error)
      return this.fail(
        new UserError(`${this.access.host} sent a malformed answer for ${this.what} (${result.message}).`, undefined, 'BAD_RESPONSE'),
      );
    if (this.used <= BATCH_BYTES) return;
    try {
      this.writeBatch();
    } catch (err) {
      this.fail(err as Error); // a full disk (ENOSPC) ends this fetch with its code, not the worker
    }
  }

  private writeBatch(): void {
    const f = this.current;
    if (!f || !this.used) return;
    for (let written = 0; written < this.used;)
      written += writeSync(this.fd, this.batch, written, this.used - written, f.position + written);
    f.position += this.used;
    f.onWritten(this.used);
    this.used = 0;
  }

  private complete(): void {
    const f = this.current;
    if (!f) return;
    try {
      this.writeBatch();
    } catch (err) {
      return this.fail(err as Error);
    }
    this.current = undefined;
    if (f.position !== f.range.end)
      return f.reject(
        new UserError(
          `${this.access.host} sent ${f.position - f.range.start} of the ${f.range.end - f.range.start} bytes asked for from ${this.what}.`,
          'Run the backup again.',
          'SHORT_READ',
        ),
      );
    if (!this.parser.shouldKeepAlive()) this.dropSocket();
    f.resolve();
  }

  /** Ends the fetch in progress with `err` (if there is one) and the connection with it: what is left of its answer is unusable. */
  private fail(err: Error): void {
    this.dropSocket();
    const f = this.current;
    this.current = undefined;
    this.used = 0;
    f?.reject(err);
  }

  private dropSocket(): void {
    const socket = this.socket;
    this.socket = undefined;
    socket?.removeAllListeners('close');
    socket?.destroy();
  }
}

function headerValue(headers: string[], name: string): string | undefined {
  for (let i = 0; i + 1 < headers.length; i += 2) if (headers[i].toLowerCase() === name) return headers[i + 1];
  return undefined;
}
