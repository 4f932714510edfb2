import { CancelledError } from '../abort';
import { DockerConnection } from '../docker/connection';
import { listVsphereVolumes } from '../docker/volumes';
import { errorMessage, UserError } from '../errors';
import { VsphereSession } from '../vsphere/session';
import { fullVolumeName } from '../vdvs/names';
import { backupArchive } from './archiveMode';
import { findVolume } from './dockerHelper';
import { BackupJob, DEFAULT_HELPER_IMAGE } from './job';
import { BackupEntry } from './layout';
import { removeStaleLeftovers } from './partialBackup';
import { formatBytes, formatDuration } from './progress';
import { Reporter } from './reporter';
import { pruneBackups } from './retention';
import { backupSnapshot } from './snapshotMode';
import { locateDockerHostVm } from './dockerHostVm';

export interface JobContext {
  conn: DockerConnection;
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
 * Runs a backup job: leftovers of crashed runs first, then each volume (archive mode: one after
 * the other, a failed volume does not stop the others; snapshot mode: one VM snapshot for all),
 * then retention. Cancellation stops at once and cleans up what was being written.
 */
export async function runBackupJob(job: BackupJob, ctx: JobContext): Promise<JobSummary> {
  const started = Date.now();
  const { conn, reporter, signal } = ctx;
  const volumes = job.volumes === 'all' ? await allVolumes(conn, signal) : job.volumes;
  const folders = new Map(await Promise.all(volumes.map(async (v) => [v, await canonicalName(conn, v, signal)] as const)));
  const folderOf = (v: string) => folders.get(v) ?? v;
  if (!volumes.length) throw new UserError(`${conn.label} has no vsphere volumes to back up.`, 'Create one, or name the volumes in the job.');
  reporter.step(`Backing up ${volumes.length} volume(s) of ${conn.label} in ${job.mode} mode to ${job.destination}`);
  for (const volume of volumes) {
    for (const l of await removeStaleLeftovers(job.destination, conn.host.name, folderOf(volume))) reporter.step(`Removed leftover ${l.dir} (${l.reason})`);
  }
  const results: VolumeResult[] = [];
  if (job.mode === 'archive') {
    for (const volume of volumes) {
      signal?.throwIfAborted();
      reporter.step(`--- ${volume}`);
      try {
        const entry = await backupArchive({ conn, volume, folder: folderOf(volume), destination: job.destination, helperImage: job.helperImage ?? DEFAULT_HELPER_IMAGE, compression: job.compression ?? 'none', stopContainers: !!job.stopContainers, stopTimeoutSeconds: job.stopTimeoutSeconds, hooks: job.hooks, signal, reporter });
        results.push({ volume, entry, pruned: 0 });
      } catch (err) {
        if (signal?.aborted) throw new CancelledError('The backup');
        if (job.volumes === 'all' && err instanceof UserError && err.code === 'NOT_FOUND') {
          reporter.warn(`${volume} was removed after the volumes were listed; skipped.`);
          continue;
        }
        results.push({ volume, error: errorMessage(err), pruned: 0 });
        reporter.warn(`${volume}: ${errorMessage(err)}`);
      }
    }
  } else {
    if (!ctx.vsphere) throw new UserError('Snapshot mode needs the ESXi host or vCenter that runs the Docker host VM.', 'Set "esxiHost" in the job (or link the Docker host to an ESXi host).', 'BAD_JOB');
    const session = await ctx.vsphere();
    const vmName = job.vm ?? ctx.vmName ?? (await locateDockerHostVm(conn, session, undefined, signal)).vm.name;
    try {
      const entries = await backupSnapshot({ session, conn, vmName, volumes, folderOf, destination: job.destination, stopContainers: !!job.stopContainers, stopTimeoutSeconds: job.stopTimeoutSeconds, helperImage: job.helperImage, hooks: job.hooks, signal, reporter });
      results.push(...entries.map((entry, i) => ({ volume: volumes[i], entry, pruned: 0 })));
    } catch (err) {
      if (signal?.aborted) throw new CancelledError('The backup');
      throw err;
    }
  }
  for (const r of results) {
    if (!r.entry) continue;
    r.pruned = (await pruneBackups(job.destination, conn.host.name, folderOf(r.volume), job.retain)).length;
    if (r.pruned) reporter.step(`Retention: removed ${r.pruned} old backup(s) of ${r.volume}, keeping ${job.retain}`);
  }
  const bytes = results.reduce((n, r) => n + (r.entry?.manifest.totalBytes ?? 0), 0);
  return { ok: results.every((r) => !r.error), results, seconds: (Date.now() - started) / 1000, bytes };
}

export function summaryLines(summary: JobSummary): string[] {
  const lines = summary.results.map((r) => (r.entry ? `  ok     ${r.volume}: ${formatBytes(r.entry.manifest.totalBytes)} -> ${r.entry.dir}` : `  FAILED ${r.volume}: ${r.error}`));
  const rate = summary.seconds > 0 ? ` (${(summary.bytes / 1e6 / summary.seconds).toFixed(1)} MB/s)` : '';
  const failed = summary.results.filter((r) => r.error).length;
  lines.push(`${summary.ok ? 'Backup finished' : 'Backup finished with errors'}: ${summary.results.length - failed} of ${summary.results.length} volume(s), ${formatBytes(summary.bytes)} in ${formatDuration(summary.seconds)}${rate}.`);
  return lines;
}

async function allVolumes(conn: DockerConnection, signal?: AbortSignal): Promise<string[]> {
  const { volumes } = await listVsphereVolumes(conn, { signal });
  return volumes.map((v) => v.name);
}

/**
 * `vol@datastore` for a vsphere volume named short (`vol`), so its backups land in the same folder
 * whether a job names it short, in full or as "all" (which lists full names).
 */
async function canonicalName(conn: DockerConnection, volume: string, signal?: AbortSignal): Promise<string> {
  const facts = await findVolume(conn, volume, { signal });
  const datastore = facts?.status?.datastore;
  if (!facts || volume.includes('@') || !facts.driver.startsWith('vsphere') || typeof datastore !== 'string') return volume;
  return fullVolumeName(volume, datastore);
}
