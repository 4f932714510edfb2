import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { endRun, RunOwner, startRun } from '../../src/core/backup/runOwner';
import { LOCK_FILE, STALE_MS, VolumeLock } from '../../src/core/backup/volumeLock';
import { UserError } from '../../src/core/errors';

const temps: string[] = [];
after(() => Promise.all(temps.map((d) => fs.rm(d, { recursive: true, force: true }))));
async function tempDest(): Promise<string> {
  const dir = await fs.mkdtemp(join(tmpdir(), 'vdvs-lock-unit-'));
  temps.push(dir);
  return dir;
}
const lockFile = (dest: string) => join(dest, 'host1', 'vol1', LOCK_FILE);
const busy = (holder: RunOwner) => (e: unknown) =>
  e instanceof UserError &&
  e.code === 'BUSY' &&
  e.message.startsWith(`vol1 is busy: backed up by run ${holder.runId} on host ${holder.host} (PID ${holder.pid}) since `);

/** A lock as another run wrote it (a crashed one, or one of another machine). */
async function plantLock(dest: string, owner: RunOwner, stoppedContainers: { id: string; name: string }[] = []): Promise<void> {
  await fs.mkdir(join(dest, 'host1', 'vol1'), { recursive: true });
  await fs.writeFile(
    lockFile(dest),
    JSON.stringify({ ...owner, dockerHost: 'host1', volume: 'vol1', since: '2024-05-01T00:00:00.000Z', stoppedContainers }),
  );
}

async function withChild<T>(work: (pid: number) => Promise<T>): Promise<T> {
  const child = spawn(process.execPath, ['-e', 'setTimeout(()=>{}, 60000)']);
  try {
    return await work(child.pid!);
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
  }
}

describe('volume locks', () => {
  it('holds the run, host, PID and process start; a second live run is refused naming the holder; release frees it', async () => {
    const dest = await tempDest();
    const a = startRun();
    const b = startRun();
    try {
      const lock = await VolumeLock.acquire(dest, 'host1', 'vol1', a);
      const held = JSON.parse(await fs.readFile(lockFile(dest), 'utf8'));
      assert.deepEqual([held.runId, held.host, held.pid, held.stoppedContainers], [a.runId, hostname(), process.pid, []]);
      assert.match(held.processStart, /^\d+$/, 'the start time from /proc/<pid>/stat');
      await assert.rejects(VolumeLock.acquire(dest, 'host1', 'vol1', b), busy(a));
      await lock.release();
      await assert.rejects(fs.access(lockFile(dest)));
      await (await VolumeLock.acquire(dest, 'host1', 'vol1', b)).release();
      assert.deepEqual(await fs.readdir(join(dest, 'host1', 'vol1')), [], 'no temporary files are left');
    } finally {
      endRun(a);
      endRun(b);
    }
  });

  it('of many runs taking one volume at once, exactly one gets it', async () => {
    const dest = await tempDest();
    const runs = Array.from({ length: 8 }, () => startRun());
    try {
      const tries = await Promise.allSettled(runs.map((r) => VolumeLock.acquire(dest, 'host1', 'vol1', r)));
      assert.equal(tries.filter((t) => t.status === 'fulfilled').length, 1);
      assert.ok(tries.every((t) => t.status === 'fulfilled' || (t.reason as UserError).code === 'BUSY'));
    } finally {
      runs.forEach(endRun);
    }
  });

  it('replaces the lock of a dead process of this machine and inherits the containers it stopped', async () => {
    const dest = await tempDest();
    const stopped = [{ id: 'abc123', name: 'db' }];
    const dead = await withChild(async (pid) => ({ runId: 'dead1', host: hostname(), pid }));
    await plantLock(dest, dead, stopped);
    const run = startRun();
    try {
      const lock = await VolumeLock.acquire(dest, 'host1', 'vol1', run);
      assert.equal(lock.replaced?.runId, 'dead1');
      assert.deepEqual(lock.replaced?.stoppedContainers, stopped);
      const held = JSON.parse(await fs.readFile(lockFile(dest), 'utf8'));
      assert.deepEqual([held.runId, held.stoppedContainers], [run.runId, stopped], 'recorded until they run again');
      await lock.recordStopped([]);
      assert.deepEqual(JSON.parse(await fs.readFile(lockFile(dest), 'utf8')).stoppedContainers, []);
      await lock.release();
    } finally {
      endRun(run);
    }
  });

  it('takes a PID that now belongs to another process (other start time) for dead, and an ended run of this process too', async () => {
    const dest = await tempDest();
    const run = startRun();
    const ended = startRun();
    endRun(ended);
    try {
      await withChild(async (pid) => {
        await plantLock(dest, { runId: 'recycled', host: hostname(), pid, processStart: '1' });
        const lock = await VolumeLock.acquire(dest, 'host1', 'vol1', run);
        assert.equal(lock.replaced?.runId, 'recycled');
        await lock.release();
        await plantLock(dest, { runId: 'same-pid', host: hostname(), pid });
        await assert.rejects(
          VolumeLock.acquire(dest, 'host1', 'vol1', run),
          busy({ runId: 'same-pid', host: hostname(), pid }),
          'a live PID without start time counts as alive',
        );
        await fs.rm(lockFile(dest));
      });
      await plantLock(dest, ended);
      const lock = await VolumeLock.acquire(dest, 'host1', 'vol1', run);
      assert.equal(lock.replaced?.runId, ended.runId);
      await lock.release();
    } finally {
      endRun(run);
    }
  });

  it('a lock of another machine is live until it has not been refreshed for 30 minutes', async () => {
    const dest = await tempDest();
    const remote = { runId: 'nas1', host: 'other-machine.example', pid: 4242, processStart: '99' };
    await plantLock(dest, remote);
    const run = startRun();
    try {
      await assert.rejects(VolumeLock.acquire(dest, 'host1', 'vol1', run), busy(remote));
      const refreshed = new Date(Date.now() - STALE_MS + 60_000);
      await fs.utimes(lockFile(dest), refreshed, refreshed);
      await assert.rejects(VolumeLock.acquire(dest, 'host1', 'vol1', run), busy(remote), 'refreshed 29 minutes ago');
      const old = new Date(Date.now() - STALE_MS - 60_000);
      await fs.utimes(lockFile(dest), old, old);
      const lock = await VolumeLock.acquire(dest, 'host1', 'vol1', run);
      assert.equal(lock.replaced?.runId, 'nas1');
      await lock.release();
    } finally {
      endRun(run);
    }
  });

  it('refuses a lock file it cannot read, naming it, and leaves it alone', async () => {
    const dest = await tempDest();
    await fs.mkdir(join(dest, 'host1', 'vol1'), { recursive: true });
    await fs.writeFile(lockFile(dest), '{"pid": 1');
    const run = startRun();
    try {
      await assert.rejects(
        VolumeLock.acquire(dest, 'host1', 'vol1', run),
        (e: unknown) => e instanceof UserError && e.code === 'BAD_LOCK' && e.message.includes(lockFile(dest)),
      );
      assert.equal(await fs.readFile(lockFile(dest), 'utf8'), '{"pid": 1');
    } finally {
      endRun(run);
    }
  });
});
