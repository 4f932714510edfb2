import { arr, at, bool, MoRef, num, ref, str, xsiType } from './normalize';
import { getProperties, listByTraversal, listInContainer, ObjectProps } from './propertyCollector';
import { VsphereSession } from './session';
import { DatastoreLocation, isUnderDockvols, parseDatastorePath } from './datastorePath';
import { parseSnapshotTree, SnapshotInfo } from './snapshotTree';

/** Inventory listings; each function is one RetrievePropertiesEx (plus a view creation the first time). */

export interface DatacenterInfo {
  ref: MoRef;
  name: string;
}

export interface HostSystemInfo {
  ref: MoRef;
  name: string;
  connectionState?: string;
  powerState?: string;
}

export interface DatastoreInfo {
  ref: MoRef;
  name: string;
  /** VMFS, NFS, vsan… */
  type: string;
  capacityBytes: number;
  freeBytes: number;
  url: string;
  accessible: boolean;
  /** Its HostDatastoreBrowser, for searches. */
  browser?: MoRef;
}

export interface VmInfo {
  ref: MoRef;
  name: string;
  /** poweredOn, poweredOff, suspended */
  powerState: string;
  guestHostName?: string;
  guestIp?: string;
  /** `[ds] vm/vm.vmx` */
  vmPathName?: string;
}

/** A virtual disk of a VM. */
export interface VmDisk {
  /** Device key, unique within the VM. */
  key: number;
  label: string;
  capacityBytes: number;
  /** persistent, independent_persistent, independent_nonpersistent, nonpersistent… */
  diskMode: string;
  /** Backing file `[ds] path.vmdk`. */
  fileName: string;
  location?: DatastoreLocation;
  thin?: boolean;
  controllerKey?: number;
  unitNumber?: number;
  /** The backing is under `dockvols/`: a vDVS volume. */
  isVdvs: boolean;
  /** Independent disks are skipped by VM snapshots (vDVS issues #636, #2052). */
  independent: boolean;
}

const DATASTORE_PATHS = ['name', 'summary', 'browser'];
const VM_PATHS = ['name', 'runtime.powerState', 'guest.hostName', 'guest.ipAddress', 'config.files.vmPathName'];

export async function listDatacenters(session: VsphereSession, signal?: AbortSignal): Promise<DatacenterInfo[]> {
  const found = await listInContainer(session, session.serviceContent.rootFolder, 'Datacenter', ['name'], signal);
  return found.map((o) => ({ ref: o.ref, name: str(o.props.name) ?? o.ref.value })).sort(byName);
}

/** ESXi hosts under a datacenter (or the root folder). */
export async function listHostSystems(session: VsphereSession, container: MoRef, signal?: AbortSignal): Promise<HostSystemInfo[]> {
  const found = await listInContainer(session, container, 'HostSystem', ['name', 'runtime.connectionState', 'runtime.powerState'], signal);
  return found
    .map((o) => ({
      ref: o.ref,
      name: str(o.props.name) ?? o.ref.value,
      connectionState: str(o.props['runtime.connectionState']),
      powerState: str(o.props['runtime.powerState']),
    }))
    .sort(byName);
}

/** Datastores of a HostSystem (its `datastore` property) or under a Datacenter/Folder. */
export async function listDatastores(session: VsphereSession, container: MoRef, signal?: AbortSignal): Promise<DatastoreInfo[]> {
  const found =
    container.type === 'HostSystem'
      ? await listByTraversal(session, container, 'datastore', 'Datastore', DATASTORE_PATHS, signal)
      : await listInContainer(session, container, 'Datastore', DATASTORE_PATHS, signal);
  return found.map(toDatastore).sort(byName);
}

/** VMs of a HostSystem (its `vm` property) or under a Datacenter/Folder/ResourcePool. */
export async function listVms(session: VsphereSession, container: MoRef, signal?: AbortSignal): Promise<VmInfo[]> {
  const found =
    container.type === 'HostSystem'
      ? await listByTraversal(session, container, 'vm', 'VirtualMachine', VM_PATHS, signal)
      : await listInContainer(session, container, 'VirtualMachine', VM_PATHS, signal);
  return found.map(toVm).sort(byName);
}

/** The virtual disks of one VM. */
export async function listVmDisks(session: VsphereSession, vm: MoRef, signal?: AbortSignal): Promise<VmDisk[]> {
  const props = await getProperties(session, vm, ['config.hardware.device'], signal);
  return parseDisks(props['config.hardware.device']);
}

/** Whether VMware Tools runs in the VM now (`guest.toolsRunningStatus`): it quiesces snapshots. */
export async function vmToolsRunning(session: VsphereSession, vm: MoRef, signal?: AbortSignal): Promise<boolean> {
  const props = await getProperties(session, vm, ['guest.toolsRunningStatus'], signal);
  return str(props['guest.toolsRunningStatus']) === 'guestToolsRunning';
}

/**
 * Every VM of `container` with its disks, in one round trip: to tell which VM a VMDK is attached to.
 * For a Datastore these are the VMs with any file on it (its `vm` property).
 */
export async function listVmsWithDisks(
  session: VsphereSession,
  container: MoRef,
  signal?: AbortSignal,
): Promise<{ vm: VmInfo; disks: VmDisk[] }[]> {
  const paths = [...VM_PATHS, 'config.hardware.device'];
  const found =
    container.type === 'HostSystem' || container.type === 'Datastore'
      ? await listByTraversal(session, container, 'vm', 'VirtualMachine', paths, signal)
      : await listInContainer(session, container, 'VirtualMachine', paths, signal);
  return found.map((o) => ({ vm: toVm(o), disks: parseDisks(o.props['config.hardware.device']) })).sort((a, b) => byName(a.vm, b.vm));
}

/** A VM with what tells its vDVS disks apart: its disks, UUIDs (vDVS records `config.instanceUuid`) and snapshots. */
export interface VmState {
  vm: VmInfo;
  disks: VmDisk[];
  instanceUuid?: string;
  biosUuid?: string;
  snapshots: SnapshotInfo[];
}

/** Every VM of `container` with its disks, UUIDs and snapshot tree: one round trip (plus the view the first time). */
export async function listVmStates(session: VsphereSession, container: MoRef, signal?: AbortSignal): Promise<VmState[]> {
  const paths = [...VM_PATHS, 'config.hardware.device', 'config.instanceUuid', 'config.uuid', 'snapshot'];
  const found = await listInContainer(session, container, 'VirtualMachine', paths, signal);
  return found
    .map((o) => ({
      vm: toVm(o),
      disks: parseDisks(o.props['config.hardware.device']),
      instanceUuid: str(o.props['config.instanceUuid']),
      biosUuid: str(o.props['config.uuid']),
      snapshots: parseSnapshotTree(o.props.snapshot),
    }))
    .sort((a, b) => byName(a.vm, b.vm));
}

function toDatastore(o: ObjectProps): DatastoreInfo {
  const s = o.props.summary;
  return {
    ref: o.ref,
    name: str(o.props.name) ?? str(at(s, 'name')) ?? o.ref.value,
    type: str(at(s, 'type')) ?? '',
    capacityBytes: num(at(s, 'capacity')) ?? 0,
    freeBytes: num(at(s, 'freeSpace')) ?? 0,
    url: str(at(s, 'url')) ?? '',
    accessible: bool(at(s, 'accessible')) ?? true,
    browser: ref(o.props.browser),
  };
}

function toVm(o: ObjectProps): VmInfo {
  return {
    ref: o.ref,
    name: str(o.props.name) ?? o.ref.value,
    powerState: str(o.props['runtime.powerState']) ?? 'unknown',
    guestHostName: str(o.props['guest.hostName']) || undefined,
    guestIp: str(o.props['guest.ipAddress']) || undefined,
    vmPathName: str(o.props['config.files.vmPathName']),
  };
}

/** VirtualDisk devices out of an ArrayOfVirtualDevice value. */
export function parseDisks(devices: unknown): VmDisk[] {
  const disks: VmDisk[] = [];
  for (const d of arr(at(devices, 'VirtualDevice'))) {
    if (xsiType(d) !== 'VirtualDisk') continue;
    const backing = at(d, 'backing');
    const fileName = str(at(backing, 'fileName')) ?? '';
    let location: DatastoreLocation | undefined;
    try {
      location = fileName ? parseDatastorePath(fileName) : undefined;
    } catch {
      location = undefined; // RDMs and odd backings have no datastore path
    }
    const diskMode = str(at(backing, 'diskMode')) ?? '';
    const capacityKb = num(at(d, 'capacityInKB')) ?? 0;
    disks.push({
      key: num(at(d, 'key')) ?? 0,
      label: str(at(d, 'deviceInfo', 'label')) ?? `Disk ${disks.length + 1}`,
      capacityBytes: num(at(d, 'capacityInBytes')) ?? capacityKb * 1024,
      diskMode,
      fileName,
      location,
      thin: bool(at(backing, 'thinProvisioned')),
      controllerKey: num(at(d, 'controllerKey')),
      unitNumber: num(at(d, 'unitNumber')),
      isVdvs: !!location && isUnderDockvols(location),
      independent: diskMode.startsWith('independent'),
    });
  }
  return disks;
}

function byName(a: { name: string }, b: { name: string }): number {
  return a.name.localeCompare(b.name);
}
