import { PassThrough, Writable } from 'node:stream';
import { DockerConnection } from '../docker/connection';
import { pluginAliasOf } from '../docker/plugin';
import { UserError } from '../errors';
import { parseVolumeName } from '../vdvs/names';
import { backupEligibility } from '../vdvs/backupEligibility';
import { belongsToVolume, isSidecar } from '../vdvs/layout';
import { DatacenterInfo, listDatacenters, listDatastores, listVmDisks, listVms, VmDisk, VmInfo } from '../vsphere/inventory';
import { searchDatastore } from '../vsphere/datastoreBrowser';
import { downloadDatastoreFile } from '../vsphere/datastoreFiles';
import { downloadDatastoreFileTo, FileDownloadOptions, RangedAccess } from '../vsphere/rangedDownload';
import { DatastoreLocation, formatDatastorePath } from '../vsphere/datastorePath';
import { listSnapshots, removeSnapshot } from '../vsphere/snapshots';
import { MoRef } from '../vsphere/normalize';
import { VsphereSession } from '../vsphere/session';
import { requireVolume, StopJournal } from './dockerHelper';
import { FollowingHasher, Hashed } from './hashing';
import { BackupHooks, withHooks } from './hooks';
import { DEFAULT_HELPER_IMAGE } from './job';
import { BackupEntry, timestampOf } from './layout';
import { ManifestFile, SnapshotSource } from './manifest';
import { ProgressMeter } from './progress';
import { Reporter } from './reporter';
import { describeOwner, ownerState, parseOwner, RunOwner } from './runOwner';
import { BackupSnapshot, takeBackupSnapshot } from './snapshotConsistency';
import { BackupStore, BackupWriter } from './store';
import { withContainersStoppedForSnapshot } from './snapshotStop';
import { descriptorExtent, descriptorSidecar } from './vmdkFiles';

/**
 * Snapshots this tool takes are named `vdvs-backup-<run id>-<time>`, and their description ends
 * with the run (a RunOwner as JSON): a crash leaves one behind, and a later run removes it once that
 * run is provably over. The VM's snapshots may come from other jobs with other destinations, so the
 * description is all there is to judge by.
 */
export const SNAPSHOT_PREFIX = 'vdvs-backup-';
const OWNER_MARK = ' Run: ';

function snapshotDescription(volumes: string[], owner: RunOwner): string {
  return `vdvs backup of ${volumes.join(', ')}; safe to remove if left behind.${OWNER_MARK}${JSON.stringify(owner)}`;
}

/** The run that took a `vdvs-backup-*` snapshot, from its description; undefined for another tool's. */
export function snapshotOwner(description: string): RunOwner | undefined {
  const at = description.lastIndexOf(OWNER_MARK);
  if (at < 0) return undefined;
  try {
    return parseOwner(JSON.parse(description.slice(at + OWNER_MARK.length)));
  } catch {
    return undefined;
  }
}

export interface LocatedVm {
  datacenter: DatacenterInfo;
  vm: VmInfo;
}

/** The Docker host VM by name, in whichever datacenter holds it. */
export async function findVm(session: VsphereSession, name: string, signal?: AbortSignal): Promise<LocatedVm> {
  const seen: string[] = [];
  for (const datacenter of await listDatacenters(session, signal)) {
    const vms = await listVms(session, datacenter.ref, signal);
    const vm = vms.find((v) => v.name === name);
    if (vm) return { datacenter, vm };
    seen.push(...vms.map((v) => v.name));
  }
  throw new UserError(
    `No VM named ${name} on ${session.host}.`,
    seen.length
      ? `VMs there: ${seen.slice(0, 10).join(', ')}${seen.length > 10 ? ', …' : ''}. Set "vm" to the Docker host VM.`
      : 'Set "vm" to the Docker host VM.',
    'NOT_FOUND',
  );
}

/** Finds the Docker host VM from what Docker reports: a VM whose guest host name is the engine's. */
export async function findVmByGuestHostName(
  session: VsphereSession,
  hostName: string,
  signal?: AbortSignal,
): Promise<LocatedVm | undefined> {
  for (const datacenter of await listDatacenters(session, signal)) {
    const vm = (await listVms(session, datacenter.ref, signal)).find((v) => v.guestHostName === hostName || v.name === hostName);
    if (vm) return { datacenter, vm };
  }
  return undefined;
}

/**
 * Removes snapshots of ours whose run provably ended without removing them (killed, crashed on
 * this machine). One of a live run is kept; one whose run cannot be judged (taken on another
 * machine, or by a version that did not record its run) is kept and reported, never removed.
 */
export async function removeLeftoverSnapshots(
  session: VsphereSession,
  located: LocatedVm,
  reporter: Reporter,
  signal?: AbortSignal,
): Promise<string[]> {
  const removed: string[] = [];
  for (const s of (await listSnapshots(session, located.vm.ref, signal)).filter((s) => s.name.startsWith(SNAPSHOT_PREFIX))) {
    const owner = snapshotOwner(s.description);
    const state = owner ? ownerState(owner) : 'unknown';
    if (state === 'dead') {
      reporter.step(`Removing snapshot ${s.name} left on ${located.vm.name} by an interrupted backup (${describeOwner(owner!)})`);
      await removeSnapshot(session, s.ref, {}, signal);
      removed.push(s.name);
    } else if (state === 'alive') {
      reporter.step(`Keeping snapshot ${s.name} of ${located.vm.name}: ${describeOwner(owner!)} is still running`);
    } else {
      const who = owner ? `${describeOwner(owner)}, on another machine,` : 'the run that took it';
      reporter.warn(
        `Snapshot ${s.name} of ${located.vm.name} kept: cannot tell whether ${who} is over. Remove it in the vSphere client once no backup of this VM runs.`,
      );
    }
  }
  return removed;
}

export interface PlannedDisk {
  volume: string;
  disk: VmDisk & { location: DatastoreLocation };
}

/**
 * Which VM disks to back up: only the vDVS disks of the volumes asked for; every other disk of
 * the VM is excluded. Refuses up front (before any snapshot) a volume whose disk is independent
 * (VM snapshots skip it) or that is not attached to the VM.
 */
export function planDisks(vmName: string, disks: VmDisk[], volumes: string[]): { included: PlannedDisk[]; excluded: VmDisk[] } {
  const included: PlannedDisk[] = [];
  const problems: string[] = [];
  for (const volume of volumes) {
    const { volume: short, datastore } = parseVolumeName(volume);
    const disk = disks.find(
      (d) => d.isVdvs && d.location && fileBase(d.location.path) === short && (!datastore || d.location.datastore === datastore),
    );
    if (!disk?.location) {
      problems.push(
        `${volume} is not attached to ${vmName}: a VM snapshot holds only attached disks. Start a container that uses it during the backup, or use archive mode.`,
      );
    } else if (disk.independent) {
      const e = backupEligibility(disk.diskMode);
      problems.push(`${volume} is attached as ${disk.diskMode}: ${e.reason} ${e.wayOut}`);
    } else {
      included.push({ volume, disk: disk as PlannedDisk['disk'] });
    }
  }
  if (problems.length) throw new UserError(`Snapshot backup refused: ${problems.join(' ')}`, undefined, 'NOT_SNAPSHOTTABLE');
  const keys = new Set(included.map((p) => p.disk.key));
  return { included, excluded: disks.filter((d) => !keys.has(d.key)) };
}

function fileBase(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1).replace(/\.vmdk$/i, '');
}

function folderOf(loc: DatastoreLocation): DatastoreLocation {
  return { datastore: loc.datastore, path: loc.path.slice(0, loc.path.lastIndexOf('/')) };
}

export interface SnapshotBackupRequest {
  session: VsphereSession;
  conn: DockerConnection;
  vmName: string;
  volumes: string[];
  /** The folder the backups of a volume go to (default: its name). */
  folderOf?: (volume: string) => string;
  store: BackupStore;
  /** The run: in the snapshot's name and description, and in the partial folders. */
  owner: RunOwner;
  /** Where the run records the containers it stops, per volume (the volume's lock). */
  journalOf: (volume: string) => StopJournal;
  /** Stop the containers using the volumes for the snapshot (started again before the download). */
  stopContainers?: boolean;
  stopTimeoutSeconds?: number;
  /** The helper container that keeps a volume attached while its containers are stopped. */
  helperImage?: string;
  hooks?: BackupHooks;
  signal?: AbortSignal;
  reporter: Reporter;
}

/**
 * VM-level backup: one snapshot of the Docker host VM (quiesced when VMware Tools runs in it; hooks
 * and stopContainers around it), then the descriptor, flat extent and vDVS
 * sidecar of each included volume's disk are streamed from the datastore (`/folder`) into one
 * backup folder per volume. The base disk files do not change while the snapshot exists. The
 * snapshot is removed whatever happens (and by the next run if this process is killed).
 */
export async function backupSnapshot(req: SnapshotBackupRequest): Promise<BackupEntry[]> {
  const { session, conn, reporter, signal } = req;
  reporter.step(`Looking up VM ${req.vmName} on ${session.host}`);
  const located = await findVm(session, req.vmName, signal);
  await removeLeftoverSnapshots(session, located, reporter, signal);
  const disks = await listVmDisks(session, located.vm.ref, signal);
  const { included, excluded } = planDisks(req.vmName, disks, req.volumes);
  reporter.step(
    `Including ${included.map((p) => `${p.volume} (${p.disk.label})`).join(', ')}; excluding ${excluded.length} other disk(s)${excluded.length ? `: ${excluded.map((d) => d.label).join(', ')}` : ''}`,
  );
  const facts = new Map(await Promise.all(included.map(async (p) => [p.volume, await requireVolume(conn, p.volume, { signal })] as const)));
  const files = await Promise.all(included.map((p) => volumeFiles(session, located, p, signal)));
  const total = files.flat().reduce((n, f) => n + (f.size ?? 0), 0);

  const startedAt = new Date();
  const snapshotName = `${SNAPSHOT_PREFIX}${req.owner.runId}-${timestampOf(startedAt)}`;
  // not the caller's signal: a cancelled backup must still remove its snapshot
  const dropSnapshot = (ref: MoRef) =>
    removeSnapshot(session, ref).catch((err: unknown) =>
      reporter.warn(`Snapshot ${snapshotName} could not be removed now (${(err as Error).message}); the next backup removes it.`),
    );
  let taken: BackupSnapshot | undefined;
  const take = async () => {
    taken = await takeBackupSnapshot(
      session,
      located.vm.ref,
      req.vmName,
      snapshotName,
      snapshotDescription(req.volumes, req.owner),
      reporter,
      signal,
    );
  };
  const stopOptions = {
    helperImage: req.helperImage ?? DEFAULT_HELPER_IMAGE,
    stopTimeoutSeconds: req.stopTimeoutSeconds,
    journalOf: req.journalOf,
    signal,
  };
  let stopped: string[] = [];
  try {
    await withHooks(conn, req.hooks, reporter, signal, async () => {
      if (req.stopContainers)
        stopped = (
          await withContainersStoppedForSnapshot(
            conn,
            included.map((p) => p.volume),
            stopOptions,
            reporter,
            take,
          )
        ).stopped;
      else await take();
    });
  } catch (err) {
    // e.g. a container that did not start again after the snapshot: no download, and no snapshot left
    if (taken) await dropSnapshot(taken.ref);
    throw err;
  }
  const { ref: snapshot, consistency } = taken!;
  const entries: BackupEntry[] = [];
  try {
    const meter = new ProgressMeter('Download', (p) => reporter.progress(p), total);
    for (const [i, planned] of included.entries()) {
      const partial = await req.store.begin(
        conn.host.name,
        req.folderOf?.(planned.volume) ?? planned.volume,
        'snapshot',
        req.owner,
        startedAt,
      );
      partial.expect(
        files[i].reduce((n, f) => n + (f.size ?? 0), 0),
        'its disk files',
      );
      try {
        for (const file of files[i]) {
          reporter.step(`Downloading ${formatDatastorePath(file.location)}`);
          await download(session, located.datacenter.name, file, partial, meter, signal);
        }
        const source: SnapshotSource = {
          kind: 'snapshot',
          vsphereUrl: session.url,
          vm: req.vmName,
          snapshotName,
          datastore: planned.disk.location.datastore,
          diskPath: formatDatastorePath(planned.disk.location),
          diskMode: planned.disk.diskMode,
          capacityBytes: planned.disk.capacityBytes,
          consistency,
          stoppedContainers: stopped,
        };
        entries.push(
          await partial.commit({
            dockerHost: conn.host.name,
            pluginAlias: pluginAliasOf(conn),
            volume: facts.get(planned.volume)!,
            source,
            startedAt,
          }),
        );
      } catch (err) {
        await partial.discard();
        throw err;
      }
    }
    meter.finish();
  } finally {
    reporter.step(`Removing snapshot ${snapshotName}`);
    await dropSnapshot(snapshot);
  }
  return entries;
}

interface VolumeFile {
  location: DatastoreLocation;
  role: ManifestFile['role'];
  size?: number;
}

/**
 * The descriptor, flat extent and vDVS sidecar of a volume's disk. The descriptor names the other
 * two (its extent line and `ddb.sidecars`); a sidecar it does not name is searched for as vDVS
 * names them (`<vol>-<hex>.vmfd`). The flat size comes from the extent's sector count.
 */
async function volumeFiles(session: VsphereSession, located: LocatedVm, planned: PlannedDisk, signal?: AbortSignal): Promise<VolumeFile[]> {
  const descriptorLoc = planned.disk.location;
  const folder = folderOf(descriptorLoc);
  const volume = fileBase(descriptorLoc.path);
  const at = (name: string): DatastoreLocation => ({ datastore: folder.datastore, path: `${folder.path}/${name}` });
  const text = await downloadText(session, located.datacenter.name, descriptorLoc, signal);
  const extent = descriptorExtent(text);
  if (!extent)
    throw new UserError(
      `${formatDatastorePath(descriptorLoc)} names no flat extent.`,
      'The volume looks damaged on the datastore; check it in the ESXi Hosts view.',
    );
  const files: VolumeFile[] = [
    { location: descriptorLoc, role: 'descriptor', size: Buffer.byteLength(text) },
    { location: at(extent.file), role: 'flat', size: extent.sectors * 512 },
  ];
  const named = descriptorSidecar(text);
  let sidecars = named ? [named] : [];
  if (!sidecars.length) {
    const datastore = (await listDatastores(session, located.datacenter.ref, signal)).find((d) => d.name === folder.datastore);
    if (datastore?.browser) {
      const found = await searchDatastore(session, datastore.browser, folder, { matchPattern: [`${volume}-*.vmfd`] }, signal);
      sidecars = found.map((e) => e.name).filter((n) => isSidecar(n) && belongsToVolume(n, volume));
    }
  }
  if (!sidecars.length)
    throw new UserError(
      `The vDVS metadata sidecar (.vmfd) of ${planned.volume} is missing in ${formatDatastorePath(folder)}.`,
      'Without it a restored disk would not be a vDVS volume; check the volume on the datastore.',
    );
  files.push(...sidecars.map((name): VolumeFile => ({ location: at(name), role: 'sidecar' })));
  return files.sort((a, b) => ROLE_ORDER.indexOf(a.role) - ROLE_ORDER.indexOf(b.role));
}

/** A small datastore file (a descriptor) as text. */
export async function downloadText(
  session: VsphereSession,
  datacenter: string,
  loc: DatastoreLocation,
  signal?: AbortSignal,
): Promise<string> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, done) {
      chunks.push(chunk);
      done();
    },
  });
  await downloadDatastoreFile(session, datacenter, loc, sink, { signal });
  return Buffer.concat(chunks).toString('utf8');
}

const ROLE_ORDER: ManifestFile['role'][] = ['descriptor', 'sidecar', 'flat'];

async function download(
  session: VsphereSession,
  datacenter: string,
  file: VolumeFile,
  partial: BackupWriter,
  meter: ProgressMeter,
  signal?: AbortSignal,
): Promise<void> {
  const loc = file.location;
  const name = loc.path.slice(loc.path.lastIndexOf('/') + 1);
  let counted = 0;
  const onProgress = (bytes: number) => {
    meter.add(bytes - counted); // less than before when a host that ignores Range made the download start over
    counted = bytes;
  };
  if (partial.addWritten) {
    await partial.addWritten(name, file.role, (path) =>
      downloadHashed(session, datacenter, loc, path, { size: file.size, signal, onProgress }),
    );
    return;
  }
  // a store that takes streams (a restic repository): one GET straight into it
  const body = new PassThrough({ highWaterMark: 1 << 20 });
  const [fetched, stored] = await Promise.allSettled([
    downloadDatastoreFile(session, datacenter, loc, body, { signal, onProgress }),
    partial.addStream(name, file.role, body, { signal }),
  ]);
  if (fetched.status === 'rejected') throw fetched.reason;
  if (stored.status === 'rejected') throw stored.reason;
}

/**
 * A datastore file into `path`, hashed in order right behind the writer (from the page cache) and on
 * disk when this resolves: how snapshot mode stores each file of a volume's disk.
 */
export async function downloadHashed(
  session: RangedAccess,
  datacenter: string,
  loc: DatastoreLocation,
  path: string,
  options: FileDownloadOptions = {},
): Promise<Hashed> {
  const hasher = await FollowingHasher.create(path);
  try {
    const size = await downloadDatastoreFileTo(session, datacenter, loc, path, { ...options, onWritten: (n) => hasher.advance(n) });
    return await hasher.finish(size);
  } finally {
    await hasher.close();
  }
}
