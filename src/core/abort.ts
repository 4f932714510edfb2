import { UserError } from './errors';

/**
 * Runs `work` with a deadline and an optional caller's AbortSignal. `work` receives a signal that
 * fires on either, so sockets and streams can be torn down instead of left running.
 */
export async function withDeadline<T>(
  what: string,
  timeoutMs: number,
  work: (signal: AbortSignal) => Promise<T>,
  outer?: AbortSignal,
): Promise<T> {
  const controller = new AbortController();
  const signals = outer ? [controller.signal, outer] : [controller.signal];
  const signal = AbortSignal.any(signals);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new UserError(`${what} did not answer within ${Math.round(timeoutMs / 1000)} s.`, 'Check that the host is reachable, or raise the vdvs.requestTimeoutSeconds setting.', 'TIMEOUT'));
    }, timeoutMs);
  });
  const cancelled = new Promise<never>((_, reject) => {
    const onAbort = () => reject(new CancelledError(what));
    if (outer?.aborted) onAbort();
    outer?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work(signal), deadline, cancelled]);
  } finally {
    clearTimeout(timer);
  }
}

/** Thrown when the user cancelled; the UI shows nothing for it. */
export class CancelledError extends Error {
  constructor(what: string) {
    super(`${what} was cancelled.`);
    this.name = 'CancelledError';
  }
}
