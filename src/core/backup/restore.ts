import { DockerConnection } from '../docker/connection';
import { listContainers } from '../docker/containers';
import { createVolume, inspectVolume } from '../docker/volumes';
import { UserError } from '../errors';
import { VsphereSession } from '../vsphere/session';
import { restoreArchive } from './archiveMode';
import { findVolume, HELPER_LABEL, requireVolume, volumeIsEmpty, withHelper } from './dockerHelper';
import { DEFAULT_HELPER_IMAGE } from './job';
import { readManifest } from './manifest';
import { Reporter } from './reporter';
import { restoreSnapshot } from './snapshotRestore';
import { describeProblem, verifyBackup } from './verify';

export interface RestoreRequest {
  conn: DockerConnection;
  backupDir: string;
  /** The volume to restore into. */
  volume: string;
  /** 'new': create it (must not exist); 'existing': it must exist, unused, and be empty unless `allowNonEmpty`. */
  target: 'new' | 'existing';
  /** The explicit confirmation to overwrite files in a volume that already holds some. */
  allowNonEmpty?: boolean;
  helperImage?: string;
  /** Snapshot backups: a session to the ESXi host or vCenter holding the datastore. */
  vsphere?: () => Promise<VsphereSession>;
  signal?: AbortSignal;
  reporter: Reporter;
}

/** Restores a backup of either mode, after checking every hash of it. */
export async function restoreBackup(req: RestoreRequest): Promise<void> {
  const { conn, reporter, signal } = req;
  const manifest = await readManifest(req.backupDir);
  reporter.step(`Checking the backup (${manifest.files.length} file(s))`);
  const report = await verifyBackup(req.backupDir, { signal, onProgress: (p) => reporter.progress(p) });
  if (!report.ok) throw new UserError(`The backup in ${req.backupDir} is damaged: ${report.problems.map(describeProblem).join('; ')}.`, 'Restore another backup of this volume.', 'BACKUP_DAMAGED');
  const helperImage = req.helperImage ?? DEFAULT_HELPER_IMAGE;

  if (req.target === 'new') {
    if (await findVolume(conn, req.volume, { signal })) {
      throw new UserError(`Volume ${req.volume} already exists on ${conn.label}.`, 'Pick another name, or restore into the existing volume (it must be empty, or confirm overwriting).', 'VOLUME_EXISTS');
    }
  } else {
    await requireVolume(conn, req.volume, { signal });
    const users = (await listContainers(conn, { signal, volume: req.volume })).filter((c) => !(HELPER_LABEL in c.labels));
    if (users.length) throw new UserError(`Volume ${req.volume} is used by ${users.map((c) => c.name).join(', ')}.`, 'Stop and remove those containers before restoring into it.', 'VOLUME_IN_USE');
    const empty = await withHelper(conn, helperImage, req.volume, true, { signal }, (id) => volumeIsEmpty(conn, id, { signal }));
    if (!empty && !req.allowNonEmpty) {
      throw new UserError(`Volume ${req.volume} is not empty.`, 'Restoring would overwrite and mix files: restore into a new volume, or confirm overwriting (CLI: --overwrite).', 'VOLUME_NOT_EMPTY');
    }
    if (!empty) reporter.warn(`${req.volume} is not empty; its files are overwritten as confirmed.`);
  }

  if (manifest.mode === 'archive') {
    if (req.target === 'new') {
      reporter.step(`Creating volume ${req.volume} (driver ${manifest.volume.driver}${optionText(manifest.volume.options)})`);
      await createVolume(conn, { name: req.volume, driver: manifest.volume.driver, options: manifest.volume.options }, { signal, timeoutMs: Math.max(conn.timeoutMs, 120_000) });
    }
    await restoreArchive({ conn, backupDir: req.backupDir, manifest, volume: req.volume, helperImage, signal, reporter });
  } else {
    if (!req.vsphere) throw new UserError('Restoring a snapshot backup needs the ESXi host or vCenter of its datastore.', 'Name the ESXi host (CLI: --esxi-host).', 'BAD_JOB');
    const session = await req.vsphere();
    const at = await restoreSnapshot({ session, backupDir: req.backupDir, manifest, volume: req.volume, existing: req.target === 'existing', signal, reporter });
    reporter.step(`Wrote the disk to [${at.datastore}] ${at.path}`);
    // The plugin lists what is in dockvols: the restored volume must now be visible to Docker.
    await inspectVolume(conn, req.volume, { signal }).catch(() => {
      throw new UserError(`The disk was restored but ${conn.label} does not list volume ${req.volume}.`, 'Check that the Docker host VM uses this datastore and that the vsphere plugin is enabled (docker volume ls).', 'NOT_LISTED');
    });
  }
  reporter.step(`Restored ${manifest.volume.name} (${manifest.mode} backup of ${manifest.finishedAt}) into ${req.volume}`);
}

function optionText(options: Record<string, string>): string {
  const parts = Object.entries(options).map(([k, v]) => `${k}=${v}`);
  return parts.length ? `, -o ${parts.join(' -o ')}` : '';
}
