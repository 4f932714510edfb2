import { UserError } from './errors';

/**
 * Runs `work` with a deadline and an optional caller's AbortSignal. `work` receives a signal that
 * fires on either, so sockets and streams can be torn down instead of left running. Nothing stays
 * attached to the caller's signal afterwards, so a polling loop can call this as often as it likes.
 */
export async function withDeadline<T>(
  what: string,
  timeoutMs: number,
  work: (signal: AbortSignal) => Promise<T>,
  outer?: AbortSignal,
): Promise<T> {
  if (outer?.aborted) throw new CancelledError(what);
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stopped = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(
        new UserError(
          `${what} did not answer within ${Math.round(timeoutMs / 1000)} s.`,
          'Check that the host is reachable, or raise the vdvs.requestTimeoutSeconds setting.',
          'TIMEOUT',
        ),
      );
    }, timeoutMs);
    onAbort = () => {
      controller.abort();
      reject(new CancelledError(what));
    };
    outer?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work(controller.signal), stopped]);
  } finally {
    clearTimeout(timer);
    if (onAbort) outer?.removeEventListener('abort', onAbort);
  }
}

/** Thrown when the user cancelled; the UI shows nothing for it. */
export class CancelledError extends Error {
  constructor(what: string) {
    super(`${what} was cancelled.`);
    this.name = 'CancelledError';
  }
}
