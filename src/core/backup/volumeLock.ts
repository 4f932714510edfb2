import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors';
import { syncDir, writeJsonDurably } from './durableFs';
import { volumeFolder } from './layout';
import { describeOwner, OwnerState, ownerState, parseOwner, RunOwner } from './runOwner';

/**
 * One run per volume at a time: `<destination>/<host>/<volume>/.lock` (a file, so listings, which
 * read folders, never show it) holds the run, its process and the containers it stopped. Taken with
 * link(2), which fails when the name exists, so two runs can never both hold it; released on
 * success, failure and cancel; left behind only by a crash, for the next run to judge.
 *
 * As restic's repository locks: a lock of this machine is stale as soon as its process is gone (or
 * its PID belongs to a newer process), a lock of another machine sharing the destination only when
 * it has not been refreshed for 30 minutes (restic's StaleLockTimeout); a run refreshes its lock
 * (the file's mtime) every 5 minutes, restic's refresh interval, so a live run is six refreshes
 * away from looking stale.
 */
export const LOCK_FILE = '.lock';
const REFRESH_MS = 5 * 60_000;
export const STALE_MS = 30 * 60_000;

export interface StoppedContainer {
  id: string;
  name: string;
}

export interface LockRecord extends RunOwner {
  dockerHost: string;
  volume: string;
  /** When the run took the lock (ISO). */
  since: string;
  /** Containers the run stopped and has not started again: recorded before they are stopped. */
  stoppedContainers: StoppedContainer[];
}

export class VolumeLock {
  private readonly refresher: NodeJS.Timeout;

  private constructor(
    readonly file: string,
    private record: LockRecord,
    /** The lock of a dead run this one replaced: what it left to clean up. */
    readonly replaced?: LockRecord,
  ) {
    this.refresher = setInterval(() => void fs.utimes(file, new Date(), new Date()).catch(() => undefined), REFRESH_MS);
    this.refresher.unref();
  }

  /** Takes the volume's lock for `owner`, replacing a stale one; BUSY naming the holder when a live run has it. */
  static async acquire(destination: string, dockerHost: string, volume: string, owner: RunOwner): Promise<VolumeLock> {
    const folder = volumeFolder(destination, dockerHost, volume);
    await fs.mkdir(folder, { recursive: true });
    const file = join(folder, LOCK_FILE);
    const record: LockRecord = { ...owner, dockerHost, volume, since: new Date().toISOString(), stoppedContainers: [] };
    const mine = join(folder, `${LOCK_FILE}.${owner.runId}`);
    let replaced: LockRecord | undefined;
    try {
      for (;;) {
        await writeJsonDurably(mine, record);
        try {
          await fs.link(mine, file);
          await syncDir(folder);
          return new VolumeLock(file, record, replaced);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        }
        const held = await readLock(file);
        if (!held) continue; // released meanwhile
        if ((await lockState(file, held)) !== 'dead') throw busy(volume, held);
        const broken = await breakLock(file, held, `${mine}.stale`);
        if (!broken) continue;
        // the dead run's stopped containers stay recorded until they run again
        replaced = broken;
        record.stoppedContainers = broken.stoppedContainers;
      }
    } finally {
      await fs.rm(mine, { force: true });
    }
  }

  /** Records (durably, before they are stopped) the containers this run stops; [] once they run again. */
  async recordStopped(containers: StoppedContainer[]): Promise<void> {
    const held = await readLock(this.file);
    if (held?.runId !== this.record.runId)
      throw new UserError(
        `The lock ${this.file} no longer belongs to this run${held ? `: it is held by ${describeOwner(held)}` : ''}.`,
        'Another run judged this one dead; stop and check that no two backups of this volume run.',
        'LOCK_LOST',
      );
    this.record = { ...this.record, stoppedContainers: containers };
    const next = `${this.file}.${this.record.runId}`;
    await writeJsonDurably(next, this.record);
    await fs.rename(next, this.file);
    await syncDir(join(this.file, '..'));
  }

  async release(): Promise<void> {
    clearInterval(this.refresher);
    const held = await readLock(this.file).catch(() => undefined);
    if (held?.runId === this.record.runId) await fs.rm(this.file, { force: true });
  }
}

/** The lock in `file`, undefined when there is none; a file that is not one of our locks is refused, never taken over. */
async function readLock(file: string): Promise<LockRecord | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let value: Record<string, unknown> | undefined;
  try {
    value = JSON.parse(text) as Record<string, unknown>;
  } catch {
    value = undefined;
  }
  const owner = parseOwner(value);
  if (!owner || !value || typeof value.since !== 'string' || !Array.isArray(value.stoppedContainers)) {
    throw new UserError(
      `${file} is not a backup lock this tool can read.`,
      'If no backup of this volume is running anywhere, remove the file and run again.',
      'BAD_LOCK',
    );
  }
  const stoppedContainers = (value.stoppedContainers as unknown[]).filter(
    (c): c is StoppedContainer => typeof (c as StoppedContainer)?.id === 'string' && typeof (c as StoppedContainer)?.name === 'string',
  );
  return { ...owner, dockerHost: String(value.dockerHost), volume: String(value.volume), since: value.since, stoppedContainers };
}

/** A lock of another machine counts as dead only once it has not been refreshed for STALE_MS. */
async function lockState(file: string, held: LockRecord): Promise<OwnerState> {
  const state = ownerState(held);
  if (state !== 'unknown') return state;
  const { mtimeMs } = await fs.stat(file);
  return Date.now() - mtimeMs > STALE_MS ? 'dead' : 'alive';
}

/**
 * Moves a dead lock aside (rename is atomic: of two runs breaking it, one gets it) and checks that
 * it is still the one judged dead; a fresh lock taken in between is put back. The broken lock, or
 * undefined when there was none to break.
 */
async function breakLock(file: string, judged: LockRecord, aside: string): Promise<LockRecord | undefined> {
  try {
    await fs.rename(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const moved = await readLock(aside);
    if (moved && moved.runId !== judged.runId) {
      await fs.link(aside, file).catch(() => undefined);
      throw busy(moved.volume, moved);
    }
    return moved;
  } finally {
    await fs.rm(aside, { force: true });
  }
}

function busy(volume: string, held: LockRecord): UserError {
  return new UserError(
    `${volume} is busy: backed up by ${describeOwner(held)} since ${held.since}.`,
    'Wait until that run ends. A lock left by a crash is cleared by the next run on the same machine, or after 30 minutes without refresh from another machine (or by vdvs recover).',
    'BUSY',
  );
}
