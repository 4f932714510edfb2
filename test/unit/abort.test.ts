import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, it } from 'node:test';
import { CancelledError, withDeadline } from '../../src/core/abort';
import { UserError } from '../../src/core/errors';

describe('withDeadline', () => {
  it('returns what the work returns', async () => {
    assert.equal(await withDeadline('ping', 1000, async () => 'pong'), 'pong');
  });
  it('fails with a timeout message and aborts the work', async () => {
    let seen: AbortSignal | undefined;
    const err = await withDeadline('vSphere login', 20, (signal) => {
      seen = signal;
      return new Promise(() => undefined);
    }).catch((e: unknown) => e);
    assert.ok(err instanceof UserError && err.code === 'TIMEOUT');
    assert.match((err as Error).message, /^vSphere login did not answer within 0 s\./);
    assert.equal(seen?.aborted, true);
  });
  it('is cancelled by the caller, also when already aborted', async () => {
    const ac = new AbortController();
    const pending = withDeadline('upload', 5000, () => new Promise(() => undefined), ac.signal);
    ac.abort();
    await assert.rejects(pending, CancelledError);
    await assert.rejects(
      withDeadline('upload', 5000, async () => 1, ac.signal),
      CancelledError,
    );
  });
  it('leaves no listener on the caller signal', async () => {
    const ac = new AbortController();
    for (let i = 0; i < 50; i++) await withDeadline('poll', 1000, async () => i, ac.signal);
    assert.equal(getEventListeners(ac.signal, 'abort').length, 0);
  });
});
