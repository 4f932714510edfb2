import type { Readable } from 'node:stream';
import { CancelledError } from '../abort';
import { UserError } from '../errors';

/** One message of a Docker progress stream (plugin pull/upgrade, image pull). */
export interface ProgressMessage {
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message?: string };
}

/**
 * Reads a stream of JSON documents, one per line (how the Engine API streams progress and events),
 * calling `onMessage` for each. Resolves at the end of the stream; rejects when the stream fails, when
 * `signal` fires, or when nothing arrives for `idleMs` (a stalled pull must not hang the UI; 0: no
 * limit, for the events stream).
 */
export function readJsonLines<T>(
  stream: Readable,
  onMessage: (message: T) => void,
  options: { idleMs: number; signal?: AbortSignal; what: string },
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let buffered = '';
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      stream.removeAllListeners('data');
      if (err) {
        stream.destroy();
        reject(err);
      } else resolve();
    };
    const arm = () => {
      clearTimeout(timer);
      if (!options.idleMs) return;
      timer = setTimeout(
        () =>
          finish(
            new UserError(
              `${options.what} made no progress for ${Math.round(options.idleMs / 1000)} s.`,
              "Check the host's connection to the registry, or raise vdvs.requestTimeoutSeconds.",
              'TIMEOUT',
            ),
          ),
        options.idleMs,
      );
    };
    const onAbort = () => finish(new CancelledError(options.what));
    const emit = (line: string) => {
      if (!line.trim()) return;
      let message: T;
      try {
        message = JSON.parse(line) as T;
      } catch {
        return; // a proxy's keep-alive noise; the daemon itself only sends JSON
      }
      try {
        onMessage(message);
      } catch (err) {
        finish(err as Error);
      }
    };
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    arm();
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      arm();
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      lines.forEach(emit);
    });
    stream.once('end', () => {
      emit(buffered);
      finish();
    });
    stream.once('error', (err) => finish(err));
    stream.once('close', () => finish(new Error(`${options.what}: the connection closed before the end of the stream`)));
  });
}

/** The error text a progress message carries, if it reports a failure. */
export function progressError(message: ProgressMessage): string | undefined {
  return message.errorDetail?.message ?? message.error;
}
