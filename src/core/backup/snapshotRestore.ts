import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { UserError } from '../errors';
import { parseVolumeName } from '../vdvs/names';
import { uploadDatastoreFile } from '../vsphere/datastoreFiles';
import { DatastoreLocation, formatDatastorePath, parseDatastorePath } from '../vsphere/datastorePath';
import { listDatacenters } from '../vsphere/inventory';
import { VsphereSession } from '../vsphere/session';
import { HashCounter } from './hashing';
import { Manifest, ManifestFile, SnapshotSource } from './manifest';
import { ProgressMeter } from './progress';
import { Reporter } from './reporter';
import { downloadText, findVm } from './snapshotMode';
import { detachedSidecar, descriptorExtent, renameVolumeFile, rewriteDescriptor } from './vmdkFiles';

export interface SnapshotRestoreRequest {
  session: VsphereSession;
  backupDir: string;
  manifest: Manifest;
  /** Target volume name (`vol` or `vol@ds`; the datastore defaults to the backed-up disk's). */
  volume: string;
  /** Replace the disk of an existing volume (checked unused and empty, or confirmed, by the caller). */
  existing: boolean;
  signal?: AbortSignal;
  reporter: Reporter;
}

/**
 * Puts a snapshot backup's disk back into dockvols under the target volume's name over `/folder`
 * PUT: the flat extent, the sidecar (attachment cleared) and, last, the descriptor rewritten for the
 * new file names, so the plugin lists the volume only once all of it is there. Into an existing
 * volume only the flat extent and a descriptor pointing at the volume's own sidecar are written.
 */
export async function restoreSnapshot(req: SnapshotRestoreRequest): Promise<DatastoreLocation> {
  const { session, manifest, reporter, signal } = req;
  const source = manifest.source as SnapshotSource;
  const sourceDisk = parseDatastorePath(source.diskPath);
  const oldVolume = baseName(sourceDisk.path).replace(/\.vmdk$/, '');
  const { volume: newVolume, datastore } = parseVolumeName(req.volume);
  const folder: DatastoreLocation = { datastore: datastore ?? sourceDisk.datastore, path: sourceDisk.path.slice(0, sourceDisk.path.lastIndexOf('/')) };
  const at = (name: string): DatastoreLocation => ({ datastore: folder.datastore, path: `${folder.path}/${name}` });
  const datacenter = await datacenterName(session, source.vm, signal);
  const byRole = (role: ManifestFile['role']) => manifest.files.filter((f) => f.role === role);
  const [descriptor] = byRole('descriptor');
  const [flat] = byRole('flat');
  if (!descriptor || !flat) throw new UserError(`The backup in ${req.backupDir} lacks the disk descriptor or its flat extent.`, 'The manifest is damaged: restore another backup.');

  let descriptorText = rewriteDescriptor(await readFile(join(req.backupDir, descriptor.name), 'utf8'), oldVolume, newVolume);
  if (req.existing) {
    // keep the target volume's own metadata: point the descriptor at its sidecar
    const current = await downloadText(session, datacenter, at(`${newVolume}.vmdk`), signal);
    const sidecar = /^ddb\.sidecars\s*=\s*"([^"]*)"/m.exec(current)?.[0];
    descriptorText = descriptorText.replace(/^ddb\.sidecars\s*=\s*"[^"]*"/m, sidecar ?? '');
  } else {
    for (const file of byRole('sidecar')) {
      const stored = await readFile(join(req.backupDir, file.name));
      const content = detachedSidecar(stored) ?? stored;
      const name = renameVolumeFile(file.name, oldVolume, newVolume);
      reporter.step(`Uploading ${formatDatastorePath(at(name))}`);
      await uploadDatastoreFile(session, datacenter, at(name), Readable.from([content]), content.length, { signal });
    }
  }
  const flatName = descriptorExtent(descriptorText)?.file ?? `${newVolume}-flat.vmdk`;
  reporter.step(`Uploading ${formatDatastorePath(at(flatName))}`);
  const meter = new ProgressMeter('Upload', (p) => reporter.progress(p), flat.size);
  const counter = new HashCounter(meter);
  await uploadDatastoreFile(session, datacenter, at(flatName), createReadStream(join(req.backupDir, flat.name), { highWaterMark: 1 << 20 }).pipe(counter), flat.size, { signal });
  meter.finish();
  if (counter.digest() !== flat.sha256) {
    throw new UserError(`${flat.name} changed since the backup (sha256 differs): ${req.volume} may now hold damaged data.`, 'Run Verify on this backup, then restore another one.');
  }
  const descriptorBytes = Buffer.from(descriptorText, 'utf8');
  reporter.step(`Uploading ${formatDatastorePath(at(`${newVolume}.vmdk`))}`);
  await uploadDatastoreFile(session, datacenter, at(`${newVolume}.vmdk`), Readable.from([descriptorBytes]), descriptorBytes.length, { signal });
  return at(`${newVolume}.vmdk`);
}

async function datacenterName(session: VsphereSession, vm: string, signal?: AbortSignal): Promise<string> {
  try {
    return (await findVm(session, vm, signal)).datacenter.name;
  } catch {
    const [first] = await listDatacenters(session, signal);
    if (!first) throw new UserError(`${session.host} has no datacenter.`);
    return first.name;
  }
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
