import { CancelledError } from '../abort';
import { DockerConnection } from '../docker/connection';
import { DEFAULT_PLUGIN_ALIAS } from '../docker/plugin';
import { createVolume, inspectVolume, removeVolume } from '../docker/volumes';
import { errorMessage, UserError } from '../errors';
import { containersUsing } from '../vdvs/inventory';
import { formatDatastorePath } from '../vsphere/datastorePath';
import { VsphereSession } from '../vsphere/session';
import { restoreArchive } from './archiveMode';
import { findVolume, HELPER_LABEL, requireVolume, volumeIsEmpty, withHelper } from './dockerHelper';
import { DEFAULT_HELPER_IMAGE } from './job';
import { Manifest } from './manifest';
import { Reporter } from './reporter';
import { restoreOptions } from './restoreOptions';
import { planSnapshotRestore, plannedFiles, removeUploaded, restoreSnapshot } from './snapshotRestore';
import { StoredBackup } from './store';
import { describeProblem } from './verify';

export interface RestoreRequest {
  conn: DockerConnection;
  /** The backup, opened from its store (FolderStore, ResticStore: `store.open(entry.dir)`). */
  backup: StoredBackup;
  /** The volume to restore into. */
  volume: string;
  /** 'new': create it (must not exist); 'existing': it must exist, unused, and be empty unless `allowNonEmpty`. */
  target: 'new' | 'existing';
  /** The explicit confirmation to overwrite files in a volume that already holds some. */
  allowNonEmpty?: boolean;
  helperImage?: string;
  /**
   * The alias of the vsphere plugin on the Docker host (setting vdvs.plugin.alias, CLI `pluginAlias`): the driver of every volume a restore
   * creates.
   */
  pluginAlias?: string;
  /** Snapshot backups: a session to the ESXi host or vCenter holding the datastore. */
  vsphere?: () => Promise<VsphereSession>;
  /** Snapshot backups: the Docker host VM's name (default: the host's `vm` setting; else found by the engine's host name). */
  vmName?: string;
  /**
   * Asked with what a restore into a new volume will create, once all is checked and before anything
   * is created; false stops it with nothing created (code NOT_CONFIRMED). Without it the restore goes on.
   */
  confirm?: (plan: RestorePlan) => Promise<boolean>;
  signal?: AbortSignal;
  reporter: Reporter;
}

/** What a restore into a new volume creates: never taken from the backup's manifest unchecked. */
export type RestorePlan =
  | { mode: 'archive'; volume: string; dockerHost: string; driver: string; options: Record<string, string> }
  | { mode: 'snapshot'; volume: string; dockerHost: string; files: string[] };

/** The plan as the CLI prints it and the editor shows it: one `Label: value` line each. */
export function describePlan(plan: RestorePlan): string[] {
  if (plan.mode === 'snapshot')
    return [`Volume:   ${plan.volume}`, ...plan.files.map((f, i) => `${i ? '' : 'Files:'.padEnd(10)}${f}`.padStart(10 + f.length))];
  const options = Object.entries(plan.options).map(([k, v]) => `${k}=${v}`);
  return [`Volume:   ${plan.volume}`, `Driver:   ${plan.driver}`, `Options:  ${options.join(', ') || '(none: the vDVS defaults)'}`];
}

/**
 * Restores a backup of either mode, after checking every hash of it. Nothing the backup's files
 * say is trusted for where data goes: the driver is the vsphere plugin, options must be vDVS
 * options that vDVS accepts, a snapshot's disk goes to the target volume's own dockvols path. A
 * restore into a new volume that fails removes what it created, or says what is left.
 */
export async function restoreBackup(req: RestoreRequest): Promise<void> {
  const { conn, reporter, signal, backup } = req;
  const manifest = backup.manifest;
  reporter.step(`Checking the backup (${manifest.files.length} file(s))`);
  const report = await backup.checkBeforeRestore({ signal, onProgress: (p) => reporter.progress(p) });
  if (!report.ok)
    throw new UserError(
      `The backup in ${backup.where} is damaged: ${report.problems.map(describeProblem).join('; ')}.`,
      'Restore another backup of this volume.',
      'BACKUP_DAMAGED',
    );
  const helperImage = req.helperImage ?? DEFAULT_HELPER_IMAGE;

  let datastore: string | undefined;
  if (req.target === 'new') {
    if (await findVolume(conn, req.volume, { signal })) {
      throw new UserError(
        `Volume ${req.volume} already exists on ${conn.label}.`,
        'Pick another name, or restore into the existing volume (it must be empty, or confirm overwriting).',
        'VOLUME_EXISTS',
      );
    }
  } else {
    const facts = await requireVolume(conn, req.volume, { signal });
    datastore = typeof facts.status?.datastore === 'string' ? facts.status.datastore : undefined;
    const users = (await containersUsing(conn, req.volume, { signal })).filter((c) => !(HELPER_LABEL in c.labels));
    if (users.length)
      throw new UserError(
        `Volume ${req.volume} is used by ${users.map((c) => c.name).join(', ')}.`,
        'Stop and remove those containers before restoring into it.',
        'VOLUME_IN_USE',
      );
    const empty = await withHelper(conn, helperImage, req.volume, true, { signal }, (id) => volumeIsEmpty(conn, id, { signal }));
    if (!empty && !req.allowNonEmpty) {
      throw new UserError(
        `Volume ${req.volume} is not empty.`,
        'Restoring would overwrite and mix files: restore into a new volume, or confirm overwriting (CLI: --overwrite).',
        'VOLUME_NOT_EMPTY',
      );
    }
    if (!empty) reporter.warn(`${req.volume} is not empty; its files are overwritten as confirmed.`);
  }

  if (manifest.mode === 'archive') await restoreArchiveBackup(req, manifest, helperImage);
  else await restoreSnapshotBackup(req, datastore);
  reporter.step(`Restored ${manifest.volume.name} (${manifest.mode} backup of ${manifest.finishedAt}) into ${req.volume}`);
}

async function restoreArchiveBackup(req: RestoreRequest, manifest: Manifest, helperImage: string): Promise<void> {
  const { conn, reporter, signal } = req;
  const write = () => restoreArchive({ conn, backup: req.backup, volume: req.volume, helperImage, signal, reporter });
  if (req.target === 'existing') return write();
  const driver = req.pluginAlias ?? DEFAULT_PLUGIN_ALIAS;
  const options = restoreOptions(manifest, req.backup.where, req.volume, reporter);
  await confirmed(req, { mode: 'archive', volume: req.volume, dockerHost: conn.label, driver, options });
  reporter.step(
    `Creating volume ${req.volume} (driver ${driver}${Object.entries(options)
      .map(([k, v]) => ` -o ${k}=${v}`)
      .join('')})`,
  );
  await createVolume(conn, { name: req.volume, driver, options }, { signal, timeoutMs: Math.max(conn.timeoutMs, 120_000) });
  await undoOnFailure(
    req,
    write,
    async () => {
      // not the caller's signal: a cancelled restore must still remove the volume
      await removeVolume(conn, req.volume);
      reporter.warn(`Removed ${req.volume}, which this restore had created, so no half-restored volume is left.`);
    },
    () => `Volume ${req.volume} is left half-restored on ${conn.label}: remove it with \`docker volume rm ${req.volume}\`.`,
  );
}

async function restoreSnapshotBackup(req: RestoreRequest, datastore: string | undefined): Promise<void> {
  const { conn, reporter, signal } = req;
  if (!req.vsphere)
    throw new UserError(
      'Restoring a snapshot backup needs the ESXi host or vCenter of its datastore.',
      'Name the ESXi host (CLI: --esxi-host).',
      'BAD_JOB',
    );
  const session = await req.vsphere();
  const existing = req.target === 'existing';
  const plan = await planSnapshotRestore({
    session,
    conn,
    backup: req.backup,
    volume: req.volume,
    existing,
    datastore,
    vmName: req.vmName ?? conn.host.vmName,
    signal,
  });
  if (!existing)
    await confirmed(req, {
      mode: 'snapshot',
      volume: req.volume,
      dockerHost: conn.label,
      files: plannedFiles(plan, existing).map(formatDatastorePath),
    });
  const uploaded: (typeof plan.descriptor)[] = [];
  const write = () => restoreSnapshot({ session, plan, backup: req.backup, existing, uploaded, signal, reporter });
  const at = existing
    ? await write()
    : await undoOnFailure(
        req,
        write,
        async () => {
          const left = await removeUploaded(session, plan, uploaded, reporter);
          if (left.length) throw new Error(`${left.map(formatDatastorePath).join(', ')} could not be removed`);
        },
        () =>
          `The files it wrote are left on the datastore: remove ${uploaded.map(formatDatastorePath).join(', ')} (ESXi Hosts view, or the datastore browser).`,
      );
  reporter.step(`Wrote the disk to ${formatDatastorePath(at)}`);
  // The plugin lists what is in dockvols: the restored volume must now be visible to Docker.
  await inspectVolume(conn, req.volume, { signal }).catch(() => {
    throw new UserError(
      `The disk was restored to ${formatDatastorePath(at)} but ${conn.label} does not list volume ${req.volume}.`,
      'Check that the Docker host VM uses this datastore and that the vsphere plugin is enabled (docker volume ls).',
      'NOT_LISTED',
    );
  });
}

async function confirmed(req: RestoreRequest, plan: RestorePlan): Promise<void> {
  if (!req.confirm || (await req.confirm(plan))) return;
  throw new UserError(
    `Nothing was created: the restore into ${req.volume} was not confirmed.`,
    'CLI: run it again with --yes to create the volume shown.',
    'NOT_CONFIRMED',
  );
}

/**
 * Runs `work` (writing into what this restore created); when it fails, `undo` removes it. When the
 * removal fails too, the error says what is left (`leftover`) and how to remove it.
 */
async function undoOnFailure<T>(
  req: RestoreRequest,
  work: () => Promise<T>,
  undo: () => Promise<void>,
  leftoverText: () => string,
): Promise<T> {
  try {
    return await work();
  } catch (err) {
    try {
      await undo();
    } catch (undoErr) {
      const leftover = leftoverText();
      req.reporter.warn(`${leftover} (${errorMessage(undoErr)})`);
      if (err instanceof CancelledError) throw err;
      if (err instanceof UserError) throw new UserError(`${err.message} ${leftover}`, err.hint, err.code, { cause: err });
      throw new UserError(`${errorMessage(err)} ${leftover}`, undefined, undefined, { cause: err });
    }
    throw err;
  }
}
