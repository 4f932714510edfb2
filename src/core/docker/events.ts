import type { Readable } from 'node:stream';
import { CancelledError } from '../abort';
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
  /** Called when the stream breaks (daemon restart, network); the watch reconnects by itself. */
  onError?: (err: Error) => void;
  /** First reconnect delay; doubles up to 30 s. */
  retryMs?: number;
}

/**
 * Follows `docker events --filter type=…` and calls `onEvent` for each; reconnects with backoff
 * when the stream ends. Callers debounce: one `docker run` makes several events.
 */
export function watchEvents(conn: DockerConnection, onEvent: (e: DockerEvent) => void, options: WatchOptions = {}): EventWatch {
  const stop = new AbortController();
  const first = options.retryMs ?? 1000;
  let delay = first;
  const loop = async () => {
    while (!stop.signal.aborted) {
      try {
        const stream = await conn.dial<Readable>(
          'Following events',
          { method: 'GET', path: '/events', query: { filters: { type: options.types ?? TREE_EVENT_TYPES } }, stream: true },
          { signal: stop.signal },
        );
        delay = first;
        await readJsonLines<DockerEvent>(stream, onEvent, { idleMs: 0, signal: stop.signal, what: `Following events on ${conn.label}` });
      } catch (err) {
        if (stop.signal.aborted || err instanceof CancelledError) return;
        options.onError?.(err as Error);
      }
      await new Promise((resolve) => setTimeout(resolve, delay).unref());
      delay = Math.min(delay * 2, 30_000);
    }
  };
  void loop();
  return { dispose: () => stop.abort() };
}
