import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { DockerConnection } from '../docker/connection';
import { UserError } from '../errors';
import { belongsToVolume, tenantFolder } from '../vdvs/layout';
import { parseVolumeName } from '../vdvs/names';
import { deleteDatastoreFile, searchDatastore } from '../vsphere/datastoreBrowser';
import { uploadDatastoreFile } from '../vsphere/datastoreFiles';
import { DatastoreLocation, formatDatastorePath, parseDatastorePath } from '../vsphere/datastorePath';
import { listDatastores } from '../vsphere/inventory';
import { VsphereSession } from '../vsphere/session';
import { locateDockerHostVm } from './dockerHostVm';
import { HashCounter } from './hashing';
import { Manifest, ManifestFile } from './manifest';
import { StoredBackup } from './store';
import { ProgressMeter } from './progress';
import { Reporter } from './reporter';
import { LocatedVm, downloadText } from './snapshotMode';
import { descriptorForVolume, descriptorProblem, descriptorSidecar, detachedSidecar, volumeFileNames } from './vmdkFiles';

/**
 * Where a snapshot backup's disk goes, computed from the target volume alone, never from the
 * manifest: `[ds] dockvols/<_DEFAULT's uuid>/<volume>.vmdk`, `<volume>-flat.vmdk` and a fresh
 * `<volume>-<hex>.vmfd`, on the datastore of `vol@ds`, of the existing volume, or else the one the
 * plugin would use for a short name: the Docker host VM's own.
 */
export interface SnapshotRestorePlan {
  /** The short volume name (without @datastore). */
  volume: string;
  datacenter: LocatedVm['datacenter'];
  descriptor: DatastoreLocation;
  flat: DatastoreLocation;
  /** The sidecar to write (new volume) or to keep (existing volume); none when there is none. */
  sidecar?: DatastoreLocation;
  /** The backup's descriptor, checked, with the target's names written in. */
  descriptorText: string;
}

export interface SnapshotPlanRequest {
  session: VsphereSession;
  conn: DockerConnection;
  backup: StoredBackup;
  /** Target volume name (`vol` or `vol@ds`). */
  volume: string;
  /** Replace the disk of an existing volume (checked unused and empty, or confirmed, by the caller). */
  existing: boolean;
  /** The existing volume's datastore, as its plugin reports it. */
  datastore?: string;
  /** The Docker host VM's name, when the settings give it. */
  vmName?: string;
  signal?: AbortSignal;
}

/**
 * Checks a snapshot backup's descriptor and computes the target files; for a new volume refuses
 * when any of them already exists on the datastore (Docker may not list it: a disk of another
 * tenant, a flat file left without descriptor). Writes nothing.
 */
export async function planSnapshotRestore(req: SnapshotPlanRequest): Promise<SnapshotRestorePlan> {
  const { session, signal } = req;
  const { manifest } = req.backup;
  const descriptorFile = listed(manifest, 'descriptor', req.backup.where);
  listed(manifest, 'flat', req.backup.where);
  const text = (await readListedFile(req.backup, descriptorFile, req.signal)).toString('utf8');
  const problem = descriptorProblem(text);
  if (problem)
    throw new UserError(
      `The backup in ${req.backup.where} is not safe to restore: its disk descriptor ${descriptorFile.name} ${problem}.`,
      'Restore another backup, and check who can write to the backup folder.',
      'UNSAFE_BACKUP',
    );

  const located = await locateDockerHostVm(req.conn, session, req.vmName, signal);
  const { volume, datastore: named } = parseVolumeName(req.volume);
  const datastore = named ?? req.datastore ?? (located.vm.vmPathName ? parseDatastorePath(located.vm.vmPathName).datastore : undefined);
  if (!datastore)
    throw new UserError(
      `Cannot tell the datastore of VM ${located.vm.name} to restore ${req.volume} on.`,
      `Name the volume with its datastore (${volume}@datastore).`,
      'BAD_JOB',
    );
  const folder = tenantFolder(datastore);
  const at = (name: string): DatastoreLocation => ({ datastore, path: `${folder.path}/${name}` });
  const names = volumeFileNames(volume);
  const plan = { volume, datacenter: located.datacenter, descriptor: at(names.descriptor), flat: at(names.flat) };

  if (req.existing) {
    // keep the target volume's own metadata: its descriptor names its sidecar
    const current = await downloadText(session, located.datacenter.name, plan.descriptor, signal);
    const own = descriptorProblem(current) ? undefined : descriptorSidecar(current);
    const sidecar = own && belongsToVolume(own, volume) ? at(own) : undefined;
    return { ...plan, sidecar, descriptorText: descriptorForVolume(text, volume, sidecar ? own : undefined) };
  }
  const ds = (await listDatastores(session, located.datacenter.ref, signal)).find((d) => d.name === datastore);
  if (!ds?.browser)
    throw new UserError(
      `There is no datastore ${datastore} in ${located.datacenter.name} on ${session.host}.`,
      'Name the volume with a datastore the Docker host VM uses (vol@datastore).',
      'NOT_FOUND',
    );
  const existing = (await searchDatastore(session, ds.browser, folder, { allFiles: true }, signal)).filter((e) =>
    belongsToVolume(e.name, volume),
  );
  if (existing.length) {
    throw new UserError(
      `${existing.map((e) => formatDatastorePath(e.location)).join(', ')} already exist${existing.length === 1 ? 's' : ''} on ${session.host}: a new volume ${volume} would overwrite ${existing.length === 1 ? 'it' : 'them'}.`,
      'Pick another name, or remove that disk first (another Docker host or tenant may use it).',
      'VOLUME_EXISTS',
    );
  }
  const hasSidecar = manifest.files.some((f) => f.role === 'sidecar');
  return {
    ...plan,
    ...(hasSidecar ? { sidecar: at(names.sidecar) } : {}),
    descriptorText: descriptorForVolume(text, volume, hasSidecar ? names.sidecar : undefined),
  };
}

/** The datastore paths a plan writes, for the confirmation. */
export function plannedFiles(plan: SnapshotRestorePlan, existing: boolean): DatastoreLocation[] {
  return [plan.descriptor, plan.flat, ...(plan.sidecar && !existing ? [plan.sidecar] : [])];
}

export interface SnapshotRestoreRequest {
  session: VsphereSession;
  plan: SnapshotRestorePlan;
  backup: StoredBackup;
  existing: boolean;
  /** Each file is added before its upload starts, so a failed restore into a new volume can remove them. */
  uploaded: DatastoreLocation[];
  signal?: AbortSignal;
  reporter: Reporter;
}

/**
 * Puts a snapshot backup's disk back into dockvols as the plan says, over `/folder` PUT: the
 * sidecar (attachment cleared), the flat extent, and, last, the descriptor, so the plugin lists the
 * volume only once all of it is there. Into an existing volume its own sidecar is kept.
 */
export async function restoreSnapshot(req: SnapshotRestoreRequest): Promise<DatastoreLocation> {
  const { session, plan, reporter, signal } = req;
  const dc = plan.datacenter.name;
  const upload = async (loc: DatastoreLocation, body: Readable, size: number) => {
    reporter.step(`Uploading ${formatDatastorePath(loc)}`);
    req.uploaded.push(loc);
    await uploadDatastoreFile(session, dc, loc, body, size, { signal });
  };
  if (!req.existing && plan.sidecar) {
    const sidecars = req.backup.manifest.files.filter((f) => f.role === 'sidecar');
    // the vDVS one: the file the backed-up descriptor names (checked above), else the first
    const file = sidecars.find((f) => f.name === descriptorSidecar(plan.descriptorText)) ?? sidecars[0];
    const stored = await readListedFile(req.backup, file, signal);
    const content = detachedSidecar(stored) ?? stored;
    await upload(plan.sidecar, Readable.from([content]), content.length);
  }
  const flat = listed(req.backup.manifest, 'flat', req.backup.where);
  const meter = new ProgressMeter('Upload', (p) => reporter.progress(p), flat.size);
  const counter = new HashCounter(meter);
  reporter.step(`Uploading ${formatDatastorePath(plan.flat)}`);
  req.uploaded.push(plan.flat);
  const source = await req.backup.read(flat, signal);
  await uploadDatastoreFile(session, dc, plan.flat, source.pipe(counter), flat.size, { signal });
  meter.finish();
  if (counter.digest() !== flat.sha256) {
    throw new UserError(
      `${flat.name} changed since the backup (sha256 differs): ${formatDatastorePath(plan.flat)} may now hold damaged data.`,
      'Run Verify on this backup, then restore another one.',
    );
  }
  const descriptorBytes = Buffer.from(plan.descriptorText, 'utf8');
  await upload(plan.descriptor, Readable.from([descriptorBytes]), descriptorBytes.length);
  return plan.descriptor;
}

/** Removes what a failed restore into a new volume uploaded; returns what could not be removed. */
export async function removeUploaded(
  session: VsphereSession,
  plan: SnapshotRestorePlan,
  uploaded: DatastoreLocation[],
  reporter: Reporter,
): Promise<DatastoreLocation[]> {
  const left: DatastoreLocation[] = [];
  for (const loc of [...uploaded].reverse()) {
    try {
      // not the caller's signal: a cancelled restore must still clean up
      await deleteDatastoreFile(session, loc, plan.datacenter.ref);
      reporter.warn(`Removed ${formatDatastorePath(loc)}, which this restore had written.`);
    } catch (err) {
      left.push(loc);
      reporter.warn(`${formatDatastorePath(loc)} could not be removed: ${(err as Error).message}`);
    }
  }
  return left;
}

function listed(manifest: Manifest, role: ManifestFile['role'], dir: string): ManifestFile {
  const file = manifest.files.find((f) => f.role === role);
  if (!file)
    throw new UserError(
      `The backup in ${dir} lacks the disk ${role === 'flat' ? 'flat extent' : role}.`,
      'The manifest is damaged: restore another backup.',
      'BACKUP_DAMAGED',
    );
  return file;
}

/** A small file of the backup (descriptor, sidecar), read (a folder's without following a symlink) and checked against its hash. */
async function readListedFile(backup: StoredBackup, file: ManifestFile, signal?: AbortSignal): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await backup.read(file, signal)) chunks.push(chunk as Buffer);
  const content = Buffer.concat(chunks);
  if (createHash('sha256').update(content).digest('hex') !== file.sha256) {
    throw new UserError(
      `${file.name} in ${backup.where} changed since the backup was checked (sha256 differs).`,
      'Run Verify on this backup, then restore another one.',
      'BACKUP_DAMAGED',
    );
  }
  return content;
}
