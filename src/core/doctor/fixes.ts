import { Readable, Writable } from 'node:stream';
import { detachedSidecar } from '../backup/vmdkFiles';
import { removeContainer } from '../docker/containers';
import { pluginPrivileges, upgradePlugin } from '../docker/plugin';
import { UserError } from '../errors';
import { makeDatastoreFolder, moveDatastoreFile } from '../vsphere/datastoreBrowser';
import { downloadDatastoreFile, uploadDatastoreFile } from '../vsphere/datastoreFiles';
import { DatastoreLocation, formatDatastorePath } from '../vsphere/datastorePath';
import { listDatacenters } from '../vsphere/inventory';
import { removeSnapshot } from '../vsphere/snapshots';
import { VsphereSession } from '../vsphere/session';
import { detachDiskKeepFiles } from '../vsphere/vmDevices';
import { DoctorTargets } from './collect';
import { FixPlan } from './findings';

/** The note left next to quarantined files: where they came from and why. */
export const QUARANTINE_NOTE = 'QUARANTINE.txt';

/** Carries out one fix's plan. Callers show `describe` first and re-run the doctor afterwards. */
export async function carryOut(plan: FixPlan, targets: DoctorTargets, why: string): Promise<string> {
  const { signal } = targets;
  switch (plan.kind) {
    case 'clear-record': {
      const session = await esxiSession(targets, plan.esxiHostId);
      await clearAttachedRecord(session, plan.datacenter, plan.sidecar, signal);
      return `Marked detached: ${formatDatastorePath(plan.sidecar)}`;
    }
    case 'detach-disk': {
      const session = await esxiSession(targets, plan.esxiHostId);
      await detachDiskKeepFiles(session, plan.vm, { ...plan.disk, label: '', isVdvs: true, independent: false }, signal);
      if (plan.sidecar) await clearAttachedRecord(session, plan.datacenter, plan.sidecar, signal);
      return `Detached ${plan.disk.fileName} from ${plan.vmName} (file kept)`;
    }
    case 'quarantine': {
      const session = await esxiSession(targets, plan.esxiHostId);
      const dc = (await listDatacenters(session, signal)).find((d) => d.name === plan.datacenter);
      await makeDatastoreFolder(session, plan.to, dc?.ref, signal);
      const note = [
        `Quarantined by vdvs doctor on ${new Date().toISOString()}: ${why}`,
        'Moved here from:',
        ...plan.files.map((f) => `  ${formatDatastorePath(f)}`),
        'To undo, move each file back to where it came from. Nothing was deleted.',
        '',
      ].join('\n');
      // the note first: if a move fails halfway, the folder already says where its files belong
      const noteLoc = { datastore: plan.to.datastore, path: `${plan.to.path}/${QUARANTINE_NOTE}` };
      await uploadDatastoreFile(session, plan.datacenter, noteLoc, Readable.from([Buffer.from(note)]), Buffer.byteLength(note), { signal });
      for (const f of plan.files)
        await moveDatastoreFile(
          session,
          f,
          { datastore: plan.to.datastore, path: `${plan.to.path}/${f.path.split('/').pop()}` },
          dc?.ref,
          signal,
        );
      return `Moved ${plan.files.length} file(s) to ${formatDatastorePath(plan.to)}`;
    }
    case 'remove-snapshot': {
      const session = await esxiSession(targets, plan.esxiHostId);
      await removeSnapshot(session, plan.snapshot, {}, signal);
      return `Removed snapshot ${plan.name} of ${plan.vmName} (consolidated)`;
    }
    case 'remove-helper': {
      const conn = await dockerConn(targets, plan.dockerHostId);
      await removeContainer(conn, plan.containerId, true, { signal });
      return `Removed container ${plan.name}`;
    }
    case 'upgrade-plugin': {
      const conn = await dockerConn(targets, plan.dockerHostId);
      // the privileges the new image asks for, granted as the plugin's own upgrade flow grants them
      const acceptedPrivileges = await pluginPrivileges(conn, plan.reference, { signal });
      await upgradePlugin(conn, plan.plugin, { reference: plan.reference, acceptedPrivileges, signal });
      return `Upgraded ${plan.plugin} to ${plan.reference}`;
    }
  }
}

/**
 * vDVS's setStatusDetached (esx_service/vmdk_ops.py): the sidecar's status becomes "detached" and
 * attachedVMUuid, attachedVMName and attachedVMDevice go; everything else (volOpts, created…) stays,
 * padded as kvESX writes it. Read and written over /folder on the session's cookie.
 */
async function clearAttachedRecord(session: VsphereSession, datacenter: string, sidecar: DatastoreLocation, signal?: AbortSignal) {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk);
      done();
    },
  });
  await downloadDatastoreFile(session, datacenter, sidecar, sink, { signal });
  const cleared = detachedSidecar(Buffer.concat(chunks));
  if (!cleared)
    throw new UserError(
      `${formatDatastorePath(sidecar)} is not vDVS metadata (JSON): left as it is.`,
      'Look at the file; vDVS itself cannot read it either.',
      'DOCTOR_FIX_DID_NOT_CLEAR',
    );
  await uploadDatastoreFile(session, datacenter, sidecar, Readable.from([cleared]), cleared.length, { signal });
}

async function esxiSession(targets: DoctorTargets, id: string): Promise<VsphereSession> {
  const t = targets.esxi.find((e) => e.config.id === id);
  if (!t) throw new UserError(`ESXi host ${id} is not configured any more.`, undefined, 'DOCTOR_NO_HOSTS');
  return t.session();
}

async function dockerConn(targets: DoctorTargets, id: string) {
  const t = targets.docker.find((d) => d.host.id === id);
  if (!t) throw new UserError(`Docker host ${id} is not configured any more.`, undefined, 'DOCTOR_NO_HOSTS');
  return t.connection();
}
