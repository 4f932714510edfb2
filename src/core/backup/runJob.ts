import { CancelledError } from '../abort';
import { DockerConnection } from '../docker/connection';
import { isPluginDriver, pluginAliasOf } from '../docker/plugin';
import { listPluginVolumes } from '../docker/volumes';
import { errorMessage, UserError } from '../errors';
import { VsphereSession } from '../vsphere/session';
import { fullVolumeName } from '../vdvs/names';
import { backupArchive } from './archiveMode';
import { findVolume, removeDeadHelpers, restartStoppedBy } from './dockerHelper';
import { BackupJob, DEFAULT_HELPER_IMAGE } from './job';
import { BackupEntry } from './layout';
import { formatBytes, formatDuration } from './progress';
import { Reporter } from './reporter';
import { locateDockerHostVm } from './dockerHostVm';
import { describeOwner, endRun, RunOwner, startRun } from './runOwner';
import { backupSnapshot, removeLeftoverSnapshots } from './snapshotMode';
import { FolderStore } from './folderStore';
import { BackupStore } from './store';
import { VolumeLock } from './volumeLock';

export interface JobContext {
  conn: DockerConnection;
  /** Where the job's backups go (storeOfJob in backupStores.ts); default: the job's destination folder. */
  store?: BackupStore;
  /** Snapshot mode: a logged-in session to the ESXi host or vCenter of the Docker host VM. */
  vsphere?: () => Promise<VsphereSession>;
  /** The Docker host VM's name from the host's settings, when the job does not name it. */
  vmName?: string;
  signal?: AbortSignal;
  reporter: Reporter;
}

export interface VolumeResult {
  volume: string;
  entry?: BackupEntry;
  error?: string;
  pruned: number;
}

export interface JobSummary {
  ok: boolean;
  results: VolumeResult[];
  seconds: number;
  bytes: number;
}

/**
 * Runs a backup job: helper containers of dead runs first, then each volume under its lock (a
 * volume that another run backs up is refused, the others go on; replacing the lock of a dead run
 * starts the containers it stopped again and removes its leftovers). Archive mode: one volume after
 * the other, each locked only while it is backed up and pruned, a failed volume does not stop the
 * others; snapshot mode: all volumes locked, one VM snapshot for all. Retention counts this job's
 * mode. Cancellation stops at once and cleans up what was being written; locks are released
 * whatever happens.
 */
export async function runBackupJob(job: BackupJob, ctx: JobContext): Promise<JobSummary> {
  const started = Date.now();
  const { conn, reporter, signal } = ctx;
  const store = storeOf(job, ctx);
  const volumes = job.volumes === 'all' ? await allVolumes(conn, signal) : job.volumes;
  const folders = new Map(await Promise.all(volumes.map(async (v) => [v, await canonicalName(conn, v, signal)] as const)));
  const folderOf = (v: string) => folders.get(v) ?? v;
  if (!volumes.length)
    throw new UserError(`${conn.label} has no vsphere volumes to back up.`, 'Create one, or name the volumes in the job.');
  reporter.step(`Backing up ${volumes.length} volume(s) of ${conn.label} in ${job.mode} mode to ${store.label}`);
  const owner = startRun();
  const results: VolumeResult[] = [];
  const prune = async (done: VolumeResult[]) => {
    for (const r of done) {
      results.push(r);
      if (!r.entry) continue;
      r.pruned = (await store.prune(conn.host.name, folderOf(r.volume), job.mode, job.retain)).length;
      if (r.pruned) reporter.step(`Retention: removed ${r.pruned} old ${job.mode} backup(s) of ${r.volume}, keeping ${job.retain}`);
    }
  };
  /** Runs `work` on those of `wanted` whose lock this run gets; the busy ones are results of their own. */
  const locked = async (wanted: string[], work: (ready: string[], locks: Map<string, VolumeLock>) => Promise<VolumeResult[]>) => {
    const locks = new Map<string, VolumeLock>();
    try {
      for (const volume of wanted) {
        try {
          locks.set(volume, await takeVolume(store, conn, folderOf(volume), owner, reporter, signal));
        } catch (err) {
          if (!(err instanceof UserError && err.code === 'BUSY')) throw err;
          results.push({ volume, error: errorMessage(err), pruned: 0 });
          reporter.warn(err.message);
        }
      }
      const ready = wanted.filter((v) => locks.has(v));
      if (ready.length) await prune(await work(ready, locks));
    } finally {
      for (const lock of locks.values())
        await lock.release().catch((err: unknown) => reporter.warn(`The lock ${lock.file} could not be removed: ${errorMessage(err)}`));
    }
  };
  try {
    await removeDeadHelpers(conn, reporter, { signal });
    if (job.mode === 'archive') {
      for (const volume of volumes) {
        signal?.throwIfAborted();
        reporter.step(`--- ${volume}`);
        await locked([volume], async (_, locks) => {
          try {
            const entry = await backupArchive({
              conn,
              volume,
              folder: folderOf(volume),
              store,
              helperImage: job.helperImage ?? DEFAULT_HELPER_IMAGE,
              compression: job.compression ?? 'none',
              stopContainers: !!job.stopContainers,
              stopTimeoutSeconds: job.stopTimeoutSeconds,
              hooks: job.hooks,
              owner,
              journal: locks.get(volume)!,
              signal,
              reporter,
            });
            return [{ volume, entry, pruned: 0 }];
          } catch (err) {
            if (signal?.aborted) throw new CancelledError('The backup');
            if (job.volumes === 'all' && err instanceof UserError && err.code === 'NOT_FOUND') {
              reporter.warn(`${volume} was removed after the volumes were listed; skipped.`);
              return [];
            }
            reporter.warn(`${volume}: ${errorMessage(err)}`);
            return [{ volume, error: errorMessage(err), pruned: 0 }];
          }
        });
      }
    } else {
      await locked(volumes, async (ready, locks) => {
        if (!ctx.vsphere)
          throw new UserError(
            'Snapshot mode needs the ESXi host or vCenter that runs the Docker host VM.',
            'Set "esxiHost" in the job (or link the Docker host to an ESXi host).',
            'BAD_JOB',
          );
        const session = await ctx.vsphere();
        const vmName = job.vm ?? ctx.vmName ?? (await locateDockerHostVm(conn, session, undefined, signal)).vm.name;
        try {
          const entries = await backupSnapshot({
            session,
            conn,
            vmName,
            volumes: ready,
            folderOf,
            store,
            owner,
            journalOf: (v) => locks.get(v)!,
            stopContainers: !!job.stopContainers,
            stopTimeoutSeconds: job.stopTimeoutSeconds,
            helperImage: job.helperImage,
            hooks: job.hooks,
            signal,
            reporter,
          });
          return entries.map((entry, i) => ({ volume: ready[i], entry, pruned: 0 }));
        } catch (err) {
          if (signal?.aborted) throw new CancelledError('The backup');
          throw err;
        }
      });
    }
  } finally {
    endRun(owner);
  }
  const bytes = results.reduce((n, r) => n + (r.entry?.manifest.totalBytes ?? 0), 0);
  return { ok: results.every((r) => !r.error), results, seconds: (Date.now() - started) / 1000, bytes };
}

/**
 * `vdvs recover`: what crashed runs of a job left, cleaned up without backing up. Helper containers
 * of dead runs are removed; each volume folder whose lock belongs to a dead run gets its stopped
 * containers started again and its leftovers removed; in snapshot mode, snapshots of dead runs are
 * removed. A volume that a live run backs up is left alone (and reported).
 */
export async function recoverJob(job: BackupJob, ctx: JobContext): Promise<void> {
  const { conn, reporter, signal } = ctx;
  const store = storeOf(job, ctx);
  const owner = startRun();
  try {
    await removeDeadHelpers(conn, reporter, { signal });
    const folders =
      job.volumes === 'all'
        ? await store.volumeNames(conn.host.name)
        : await Promise.all(job.volumes.map((v) => canonicalName(conn, v, signal)));
    for (const folder of folders) {
      try {
        await (await takeVolume(store, conn, folder, owner, reporter, signal)).release();
      } catch (err) {
        if (!(err instanceof UserError && err.code === 'BUSY')) throw err;
        reporter.warn(`${err.message} Left alone.`);
      }
    }
    if (job.mode === 'snapshot' && ctx.vsphere) {
      const session = await ctx.vsphere();
      const located = await locateDockerHostVm(conn, session, job.vm ?? ctx.vmName, signal);
      await removeLeftoverSnapshots(session, located, reporter, signal);
    }
  } finally {
    endRun(owner);
  }
}

function storeOf(job: BackupJob, ctx: JobContext): BackupStore {
  if (ctx.store) return ctx.store;
  if (job.repository)
    throw new UserError(`The job writes to the restic repository ${job.repository}, but it was not opened.`, undefined, 'BAD_JOB');
  return new FolderStore(job.destination!);
}

/**
 * Takes the lock of one volume folder. When it replaces the lock of a run that did not finish, the
 * containers that run had stopped are started again; then leftovers of dead runs are removed.
 */
async function takeVolume(
  store: BackupStore,
  conn: DockerConnection,
  folder: string,
  owner: RunOwner,
  reporter: Reporter,
  signal?: AbortSignal,
): Promise<VolumeLock> {
  const lock = await VolumeLock.acquire(store.lockRoot, conn.host.name, folder, owner);
  try {
    const dead = lock.replaced;
    if (dead) {
      reporter.step(`${folder}: ${describeOwner(dead)} did not finish (its lock is stale); cleaning up after it`);
      if (dead.stoppedContainers.length)
        await lock.recordStopped(await restartStoppedBy(conn, dead, dead.stoppedContainers, reporter, { signal }));
    }
    for (const l of await store.removeStaleLeftovers(conn.host.name, folder)) reporter.step(`Removed leftover ${l.dir} (${l.reason})`);
    return lock;
  } catch (err) {
    await lock.release();
    throw err;
  }
}

export function summaryLines(summary: JobSummary): string[] {
  const lines = summary.results.map((r) =>
    r.entry ? `  ok     ${r.volume}: ${formatBytes(r.entry.manifest.totalBytes)} -> ${r.entry.dir}` : `  FAILED ${r.volume}: ${r.error}`,
  );
  const rate = summary.seconds > 0 ? ` (${(summary.bytes / 1e6 / summary.seconds).toFixed(1)} MB/s)` : '';
  const failed = summary.results.filter((r) => r.error).length;
  lines.push(
    `${summary.ok ? 'Backup finished' : 'Backup finished with errors'}: ${summary.results.length - failed} of ${summary.results.length} volume(s), ${formatBytes(summary.bytes)} in ${formatDuration(summary.seconds)}${rate}.`,
  );
  return lines;
}

async function allVolumes(conn: DockerConnection, signal?: AbortSignal): Promise<string[]> {
  const { volumes } = await listPluginVolumes(conn, { signal });
  return volumes.map((v) => v.name);
}

/**
 * `vol@datastore` for a vsphere volume named short (`vol`), so its backups land in the same folder
 * whether a job names it short, in full or as "all" (which lists full names).
 */
async function canonicalName(conn: DockerConnection, volume: string, signal?: AbortSignal): Promise<string> {
  const facts = await findVolume(conn, volume, { signal });
  const datastore = facts?.status?.datastore;
  if (!facts || volume.includes('@') || !isPluginDriver(facts.driver, pluginAliasOf(conn)) || typeof datastore !== 'string') return volume;
  return fullVolumeName(volume, datastore);
}
