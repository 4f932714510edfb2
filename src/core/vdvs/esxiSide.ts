import { listDockvols } from '../vsphere/datastoreBrowser';
import { formatDatastorePath, parseDatastorePath } from '../vsphere/datastorePath';
import { DatastoreInfo, listDatastores, listVms, listVmsWithDisks } from '../vsphere/inventory';
import { VsphereSession } from '../vsphere/session';
import { AdminVolume } from './adminVolumes';
import { CorrelationInput, VmdkEntry, VmDiskEntry } from './correlate';
import { DEFAULT_TENANT_NAME, DEFAULT_TENANT_UUID, volumeFromDatastorePath } from './layout';

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
export async function readEsxiSide(
  session: VsphereSession,
  esxiHostId: string,
  signal?: AbortSignal,
  admin?: readonly AdminVolume[],
): Promise<EsxiSide> {
  const root = session.serviceContent.rootFolder;
  const [all, vms] = await Promise.all([listDatastores(session, root, signal), listVms(session, root, signal)]);
  const datastores = all.filter((ds) => ds.accessible && ds.browser);
  const fromAdmin = admin && vmdksOfAdminVolumes(esxiHostId, admin);
  const perDatastore = await Promise.all(
    datastores.map((ds) =>
      fromAdmin ? readDatastoreDisks(session, esxiHostId, ds, fromAdmin, signal) : readDatastore(session, esxiHostId, ds, signal),
    ),
  );
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
 * The VMDKs `vmdkops_admin.py volume ls` listed, as the dockvols search would give them: the path from
 * the datastore, the vmgroup's folder and the name; the size on disk is its Used (kvESX convert: whole
 * MB/GB). Only when every volume is in _DEFAULT, whose folder is fixed: another vmgroup's folder (its
 * uuid) or an orphan folder is left to the dockvols search, so none is missed.
 */
function vmdksOfAdminVolumes(esxiHostId: string, admin: readonly AdminVolume[]): Map<string, VmdkEntry[]> | undefined {
  if (admin.some((v) => v.vmgroup !== DEFAULT_TENANT_NAME)) return undefined;
  const byDatastore = new Map<string, VmdkEntry[]>();
  for (const v of admin) {
    const path = formatDatastorePath({ datastore: v.datastore, path: `dockvols/${DEFAULT_TENANT_UUID}/${v.volume}.vmdk` });
    const list = byDatastore.get(v.datastore) ?? [];
    list.push({ esxiHostId, path, sizeOnDiskBytes: bytesOf(v.used), capacityBytes: bytesOf(v.capacity), format: v.diskFormat });
    byDatastore.set(v.datastore, list);
  }
  return byDatastore;
}

/** kvESX convert()'s `4MB`, `1GB`, `512KB`, `123` back to bytes. */
function bytesOf(text: string | undefined): number | undefined {
  const m = /^(\d+)(KB|MB|GB)?$/.exec(text ?? '');
  if (!m) return undefined;
  const unit: Record<string, number> = { KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 };
  return Number(m[1]) * (m[2] ? (unit[m[2]] ?? 1) : 1);
}

/** With the VMDKs known from volume ls: only the VMs on the datastore and their disks (attached disk modes). */
async function readDatastoreDisks(
  session: VsphereSession,
  esxiHostId: string,
  ds: DatastoreInfo,
  known: Map<string, VmdkEntry[]>,
  signal?: AbortSignal,
): Promise<Omit<EsxiSide, 'vmDatastores'>> {
  const vmdks = known.get(ds.name) ?? [];
  // a disk attached as dockvols/_DEFAULT/<vol>.vmdk or dockvols/<uuid>/<vol>.vmdk is the same VMDK
  const byVolume = new Map(vmdks.map((v) => [volumeFromDatastorePath(v.path)?.volume, v.path]));
  const disks: VmDiskEntry[] = [];
  for (const { vm, disks: vmDisks } of await listVmsWithDisks(session, ds.ref, signal)) {
    for (const d of vmDisks) {
      const loc = d.location && volumeFromDatastorePath(formatDatastorePath(d.location));
      const path =
        loc && loc.datastore === ds.name && (loc.tenant === DEFAULT_TENANT_UUID || loc.tenant === DEFAULT_TENANT_NAME)
          ? byVolume.get(loc.volume)
          : undefined;
      if (path) disks.push({ esxiHostId, vm: vm.name, path, diskMode: d.diskMode });
    }
  }
  return { vmdks, vmDisks: disks, scannedDatastores: [ds.name] };
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
