import { ref } from '../vsphere/normalize';
import { parseDatastorePath } from '../vsphere/datastorePath';
import { DatastoreInfo, listDatastores, listVms } from '../vsphere/inventory';
import { getProperties } from '../vsphere/propertyCollector';
import { VsphereSession } from '../vsphere/session';

/** A datastore a new volume can go on, as the create-volume wizard offers it. */
export interface DatastoreChoice {
  name: string;
  /** summary.type: VMFS, NFS, vsan… */
  type: string;
  capacityBytes: number;
  /** Negative when the server does not really report it (vcsim). */
  freeBytes: number;
  /** vsan-policy-name applies only here (vDVS refuses it elsewhere). */
  vsan: boolean;
}

/** What one ESXi host or vCenter says about where a Docker host VM's volumes can go. */
export interface EsxiDatastores {
  datastores: DatastoreChoice[];
  /** The Docker host VM was found here, so `datastores` are the ones its ESXi host mounts. */
  vmFound: boolean;
  /** The datastore of the VM's .vmx: where vDVS puts a short-named volume. */
  vmDatastore?: string;
}

export function isVsanType(type: string): boolean {
  return type.toLowerCase() === 'vsan';
}

function toChoice(ds: DatastoreInfo): DatastoreChoice {
  return { name: ds.name, type: ds.type, capacityBytes: ds.capacityBytes, freeBytes: ds.freeBytes, vsan: isVsanType(ds.type) };
}

/**
 * The accessible datastores of one ESXi host or vCenter. When the Docker host VM is named and found,
 * only the datastores of the ESXi host running it (a vCenter sees datastores the VM cannot reach).
 * Two round trips (datastores and VMs, in parallel), two more when the VM is found.
 */
export async function readDatastoreChoices(
  session: VsphereSession,
  vmName: string | undefined,
  signal?: AbortSignal,
): Promise<EsxiDatastores> {
  const root = session.serviceContent.rootFolder;
  const [all, vms] = await Promise.all([
    listDatastores(session, root, signal),
    vmName ? listVms(session, root, signal) : Promise.resolve([]),
  ]);
  const vm = vms.find((v) => v.name === vmName);
  let visible = all;
  if (vm) {
    const host = ref((await getProperties(session, vm.ref, ['runtime.host'], signal))['runtime.host']);
    if (host) visible = await listDatastores(session, host, signal);
  }
  return {
    datastores: visible.filter((ds) => ds.accessible).map(toChoice),
    vmFound: !!vm,
    vmDatastore: vm?.vmPathName ? parseDatastorePath(vm.vmPathName).datastore : undefined,
  };
}

/**
 * Joins the answers of several ESXi hosts/vCenters: those that know the VM win (their datastores are
 * the ones it can use); a datastore seen twice (a vCenter and one of its hosts) is listed once.
 */
export function mergeDatastoreChoices(sides: readonly EsxiDatastores[]): EsxiDatastores {
  const knowVm = sides.filter((s) => s.vmFound);
  const used = knowVm.length ? knowVm : sides;
  const byName = new Map<string, DatastoreChoice>();
  for (const s of used) for (const d of s.datastores) if (!byName.has(d.name)) byName.set(d.name, d);
  return {
    datastores: [...byName.values()].sort((a, b) => a.name.localeCompare(b.name)),
    vmFound: knowVm.length > 0,
    vmDatastore: knowVm.find((s) => s.vmDatastore)?.vmDatastore,
  };
}
