import type { Readable } from 'node:stream';
import { DockerConnection } from './connection';
import { readJsonLines } from './jsonStream';

/** One `docker events` message (the fields the views use). */
export interface DockerEvent {
  Type: string;
  Action: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  time?: number;
}

/** The event types that change what the Docker Hosts and Volumes views show. */
export const TREE_EVENT_TYPES = ['container', 'volume', 'plugin'];

export interface EventWatch {
  dispose(): void;
}

export interface WatchOptions {
  types?: string[];
  /** Called when the stream breaks or ends (daemon stopped or restarted, network, a missed ping); the watch reconnects by itself. */
  onError?: (err: Error) => void;
  /** Called when the stream is open again after `onError`. */
  onReconnected?: () => void;
  /** First reconnect delay; doubles up to `maxRetryMs`. */
  retryMs?: number;
  maxRetryMs?: number;
  /**
   * While the stream is open, `GET /_ping` every `pingMs` (0: never), answered within `pingTimeoutMs`:
   * a paused or wedged daemon keeps its socket open and sends nothing, so only a ping notices it.
   */
  pingMs?: number;
  pingTimeoutMs?: number;
}

/**
 * Follows `docker events --filter type=…` and calls `onEvent` for each; reconnects with backoff
 * when the stream ends, on the connection `connect` gives then (a pool may have replaced a dead one).
 * Callers debounce: one `docker run` makes several events.
 */
export function watchEvents(
  connect: () => Promise<DockerConnection>,
  onEvent: (e: DockerEvent) => void,
  options: WatchOptions = {},
): EventWatch {
  const stop = new AbortController();
  const first = options.retryMs ?? 1000;
  const max = options.maxRetryMs ?? 30_000;
  let delay = first;
  let broken = false;
  const loop = async () => {
    while (!stop.signal.aborted) {
      // one stream: ended by the watch's dispose, or by a ping that got no answer
      const stream$ = new AbortController();
      const onStop = () => stream$.abort();
      stop.signal.addEventListener('abort', onStop);
      let ping: NodeJS.Timeout | undefined;
      try {
        const conn = await connect();
        const stream = await conn.dial<Readable>(
          'Following events',
          { method: 'GET', path: '/events', query: { filters: { type: options.types ?? TREE_EVENT_TYPES } }, stream: true },
          { signal: stream$.signal },
        );
        delay = first;
        if (broken) options.onReconnected?.();
        broken = false;
        let missed: Error | undefined;
        if (options.pingMs) {
          ping = setInterval(() => {
            conn
              .dial('Ping', { method: 'GET', path: '/_ping' }, { timeoutMs: options.pingTimeoutMs, signal: stream$.signal })
              .catch((err: Error) => {
                if (stream$.signal.aborted) return;
                missed = err;
                stream$.abort();
              });
          }, options.pingMs);
          ping.unref();
        }
        try {
          await readJsonLines<DockerEvent>(stream, onEvent, {
            idleMs: 0,
            signal: stream$.signal,
            what: `Following events on ${conn.label}`,
          });
        } catch (err) {
          if (!missed) throw err;
        }
        if (stop.signal.aborted) return;
        throw missed ?? new Error('its event stream ended');
      } catch (err) {
        if (stop.signal.aborted) return;
        broken = true;
        options.onError?.(err as Error);
      } finally {
        clearInterval(ping);
        stop.signal.removeEventListener('abort', onStop);
      }
      await new Promise((resolve) => setTimeout(resolve, delay).unref());
      delay = Math.min(delay * 2, max);
    }
  };
  void loop();
  return { dispose: () => stop.abort() };
}
