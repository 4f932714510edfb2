import { pipeline, Readable, Transform, TransformCallback } from 'node:stream';

/**
 * A pass-through that fails when no chunk goes into it for `idleMs` while `waiting()` says a peer
 * owes the next step. Time spent held back by our own side (backpressure, a slow source) does not
 * count, so a slow disk is never taken for a stuck daemon. A chunk it holds because its reader is
 * full shows as `writableLength > 0`.
 */
export class IdleWatchedStream extends Transform {
  private last = Date.now();
  private readonly timer: NodeJS.Timeout;

  constructor(idleMs: number, waiting: (self: IdleWatchedStream) => boolean, idleError: () => Error) {
    super({ highWaterMark: 1 << 20 });
    this.timer = setInterval(
      () => {
        if (!waiting(this)) this.last = Date.now();
        else if (Date.now() - this.last >= idleMs) this.destroy(idleError());
      },
      Math.max(50, Math.min(1000, idleMs / 4)),
    ).unref();
    this.once('close', () => clearInterval(this.timer));
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.last = Date.now();
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    clearInterval(this.timer);
    done();
  }
}

/**
 * `source` (a response body) through an IdleWatchedStream: it fails when the sender sends nothing for
 * `idleMs` while nothing is held back on our side. Destroying the result destroys `source` too.
 */
export function failWhenSilent(source: Readable, idleMs: number, idleError: () => Error): Readable {
  const watched = new IdleWatchedStream(idleMs, (s) => !s.writableEnded && s.writableLength === 0, idleError);
  pipeline(source, watched, () => undefined); // errors reach the reader through `watched`
  return watched;
}
