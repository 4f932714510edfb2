import { listDockvols } from '../vsphere/datastoreBrowser';
import { formatDatastorePath, parseDatastorePath } from '../vsphere/datastorePath';
import { DatastoreInfo, listDatastores, listVms } from '../vsphere/inventory';
import { VsphereSession } from '../vsphere/session';
import { CorrelationInput, VmdkEntry, VmDiskEntry } from './correlate';

/** What one ESXi host or vCenter contributes to the join. */
export interface EsxiSide extends Pick<CorrelationInput, 'vmdks' | 'vmDisks' | 'scannedDatastores'> {
  /** VM name → the datastore of its .vmx: where vDVS puts a Docker host VM's short-named volumes. */
  vmDatastores: Record<string, string>;
}

/**
 * The ESXi side of the Volumes view for one configured ESXi host or vCenter: every VMDK under
 * `[ds] dockvols/` of every accessible datastore, with its size on disk, and the disk mode of the
 * VM disk it is attached as, and the datastore of each VM. Round trips do not grow with the number
 * of volumes: one listing of the datastores and one of the VMs, then per datastore (in parallel) one
 * sub-folder search (its task polled until done) and one listing of the VMs on it with their disks.
 */
export async function readEsxiSide(session: VsphereSession, esxiHostId: string, signal?: AbortSignal): Promise<EsxiSide> {
  const root = session.serviceContent.rootFolder;
  const [all, vms] = await Promise.all([listDatastores(session, root, signal), listVms(session, root, signal)]);
  const datastores = all.filter((ds) => ds.accessible && ds.browser);
  const perDatastore = await Promise.all(datastores.map((ds) => readDatastore(session, esxiHostId, ds, signal)));
  const vmDatastores: Record<string, string> = {};
  for (const vm of vms) if (vm.vmPathName) vmDatastores[vm.name] = parseDatastorePath(vm.vmPathName).datastore;
  return {
    vmdks: perDatastore.flatMap((d) => d.vmdks),
    vmDisks: perDatastore.flatMap((d) => d.vmDisks),
    scannedDatastores: datastores.map((ds) => ds.name),
    vmDatastores,
  };
}

async function readDatastore(
  session: VsphereSession,
  esxiHostId: string,
  ds: DatastoreInfo,
  signal?: AbortSignal,
): Promise<Omit<EsxiSide, 'vmDatastores'>> {
  const { vmdks } = await listDockvols(session, ds, signal);
  const entries: VmdkEntry[] = [];
  const disks: VmDiskEntry[] = [];
  for (const v of vmdks) {
    const path = formatDatastorePath(v.location);
    entries.push({
      esxiHostId,
      path,
      sizeOnDiskBytes: v.fileSize,
      capacityBytes: v.capacityKb !== undefined ? v.capacityKb * 1024 : v.attachedTo?.disk.capacityBytes || undefined,
      format: v.diskType,
    });
    if (v.attachedTo) disks.push({ esxiHostId, vm: v.attachedTo.vm.name, path, diskMode: v.attachedTo.disk.diskMode });
  }
  return { vmdks: entries, vmDisks: disks, scannedDatastores: [ds.name] };
}

/**
 * Merges the sides of several ESXi hosts/vCenters. A datastore seen through both a vCenter and one
 * of its hosts is listed twice: each VMDK path counts once, the first answer wins.
 */
export function mergeEsxiSides(sides: readonly EsxiSide[]): EsxiSide {
  const vmdks = new Map<string, VmdkEntry>();
  const vmDisks = new Map<string, VmDiskEntry>();
  for (const side of sides) {
    for (const v of side.vmdks) if (!vmdks.has(v.path)) vmdks.set(v.path, v);
    for (const d of side.vmDisks) if (!vmDisks.has(d.path)) vmDisks.set(d.path, d);
  }
  return {
    vmdks: [...vmdks.values()],
    vmDisks: [...vmDisks.values()],
    scannedDatastores: [...new Set(sides.flatMap((s) => s.scannedDatastores))],
    // the first side that knows a VM wins
    vmDatastores: Object.fromEntries([...sides].reverse().flatMap((s) => Object.entries(s.vmDatastores))),
  };
}
