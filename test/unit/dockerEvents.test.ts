import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import type { DockerConnection } from '../../src/core/docker/connection';
import { watchEvents } from '../../src/core/docker/events';

/**
 * The liveness half of watchEvents (issue 18): a stream that ends, or a ping that gets no answer while
 * the stream stays silent (a paused daemon), is told at once; the reconnect after it is told too.
 */
function fakeDaemon() {
  const state = { streams: [] as PassThrough[], pingAnswers: true, dials: 0 };
  const conn = {
    label: 'fake',
    dial: async (_what: string, req: { path: string }, opts: { signal?: AbortSignal } = {}) => {
      if (req.path === '/_ping') {
        if (state.pingAnswers) return 'OK';
        // a paused daemon: never answers; the caller's deadline is what ends it
        throw new Error('Ping on fake did not answer within 1 s.');
      }
      state.dials++;
      const s = new PassThrough();
      opts.signal?.addEventListener('abort', () => s.destroy());
      state.streams.push(s);
      return s;
    },
  } as unknown as DockerConnection;
  return { state, connect: async () => conn };
}

const until = async (cond: () => boolean, ms = 3_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('watchEvents liveness', () => {
  it('tells a stream that ends, then the reconnect, and passes events through', async () => {
    const { state, connect } = fakeDaemon();
    const seen: string[] = [];
    const watch = watchEvents(connect, (e) => seen.push(`event ${e.Action}`), {
      retryMs: 20,
      onError: (err) => seen.push(`error ${err.message}`),
      onReconnected: () => seen.push('reconnected'),
    });
    try {
      await until(() => state.streams.length === 1);
      state.streams[0].write('{"Type":"volume","Action":"create"}\n');
      await until(() => seen.length === 1);
      state.streams[0].end();
      await until(() => seen.includes('reconnected'));
      assert.deepEqual(seen, ['event create', 'error its event stream ended', 'reconnected']);
    } finally {
      watch.dispose();
    }
  });

  it('tells a silent stream whose ping goes unanswered, and does not before', async () => {
    const { state, connect } = fakeDaemon();
    const errors: string[] = [];
    const watch = watchEvents(connect, () => undefined, { retryMs: 20, pingMs: 20, onError: (err) => errors.push(err.message) });
    try {
      await until(() => state.streams.length === 1);
      await new Promise((r) => setTimeout(r, 100)); // pings answered: nothing to tell
      assert.deepEqual(errors, []);
      state.pingAnswers = false;
      await until(() => errors.length > 0);
      assert.match(errors[0], /did not answer/);
      assert.ok(state.streams[0].destroyed, 'the silent stream was closed');
    } finally {
      watch.dispose();
    }
  });
});
