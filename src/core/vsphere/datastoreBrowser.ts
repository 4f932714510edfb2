import { VimFault } from './faults';
import { arr, at, moRefArg, MoRef, num, ref, str, typed, xsiType } from './normalize';
import { DatastoreLocation, DOCKVOLS, formatDatastorePath, isDiskDescriptor, parseDatastorePath } from './datastorePath';
import { DatastoreInfo, listVmsWithDisks, VmDisk, VmInfo } from './inventory';
import { VsphereSession } from './session';
import { waitForTask } from './tasks';

/** A file or folder found by a datastore search. */
export interface DatastoreEntry {
  location: DatastoreLocation;
  name: string;
  kind: 'folder' | 'vmdk' | 'file';
  /** Bytes on disk (for a VMDK descriptor on VMFS, the extents are included by the server). */
  fileSize?: number;
  modification?: string;
  /** Provisioned size, when the server reports disk details (real ESXi does, vcsim not). */
  capacityKb?: number;
  /** thin, eagerZeroedThick, preallocated… from VmDiskFileInfo.diskType / thin. */
  diskType?: string;
  thin?: boolean;
}

/** A vDVS volume's disk in `dockvols/<tenant>/`, with the VM it is attached to, if any. */
export interface DockvolsVmdk extends DatastoreEntry {
  /** The tenant folder name (a UUID, `_DEFAULT`'s is 11111111-1111-1111-1111-111111111111). */
  tenant: string;
  attachedTo?: { vm: VmInfo; disk: VmDisk };
}

export interface SearchOptions {
  /** Also search every sub-folder (SearchDatastoreSubFolders_Task). */
  subFolders?: boolean;
  /** Shell patterns for names; vcsim returns nothing without one, so the default is ['*']. */
  matchPattern?: string[];
  /** Every kind of file (FileQuery), flat extents and sidecars included, not only folders and disks. */
  allFiles?: boolean;
}

/**
 * Searches a datastore folder for folders and VMDK descriptors with sizes and details: one search task
 * plus its result. A folder that does not exist gives an empty list.
 */
export async function searchDatastore(
  session: VsphereSession,
  browser: MoRef,
  folder: DatastoreLocation,
  options: SearchOptions = {},
  signal?: AbortSignal,
): Promise<DatastoreEntry[]> {
  const operation = options.subFolders ? 'SearchDatastoreSubFolders_Task' : 'SearchDatastore_Task';
  const searchSpec = {
    query: options.allFiles
      ? [typed('FileQuery', {})]
      : [
          typed('FolderFileQuery', {}),
          typed('VmDiskFileQuery', { details: { diskType: true, capacityKb: true, hardwareVersion: false, thin: true } }),
        ],
    details: { fileType: true, fileSize: true, modification: true, fileOwner: false },
    matchPattern: options.matchPattern ?? ['*'],
  };
  let result: unknown;
  try {
    const [task] = await session.invoke(
      operation,
      { _this: moRefArg(browser), datastorePath: formatDatastorePath(folder), searchSpec },
      signal,
    );
    result = await waitForTask(session, taskRef(task), signal);
  } catch (err) {
    if (err instanceof VimFault && err.faultName === 'FileNotFound') return [];
    throw err;
  }
  const groups = options.subFolders ? arr(at(result, 'HostDatastoreBrowserSearchResults')) : [result];
  const entries: DatastoreEntry[] = [];
  for (const group of groups) {
    const base = parseDatastorePath(str(at(group, 'folderPath')) ?? formatDatastorePath(folder));
    for (const f of arr(at(group, 'file'))) {
      const name = str(at(f, 'path')) ?? '';
      const type = xsiType(f);
      const disk = type === 'VmDiskFileInfo' || isDiskDescriptor(name);
      if (disk && !isDiskDescriptor(name) && !options.allFiles) continue;
      const kind = type === 'FolderFileInfo' ? 'folder' : disk && isDiskDescriptor(name) ? 'vmdk' : 'file';
      entries.push({
        location: { datastore: base.datastore, path: joinPath(base.path, name) },
        name,
        kind,
        fileSize: num(at(f, 'fileSize')),
        modification: str(at(f, 'modification')),
        capacityKb: num(at(f, 'capacityKb')),
        diskType: str(at(f, 'diskType')),
        thin: str(at(f, 'thin')) === undefined ? undefined : str(at(f, 'thin')) === 'true',
      });
    }
  }
  return entries;
}

/**
 * The vDVS disks of a datastore: every VMDK under `dockvols/` (tenant folders included) with the VM
 * each is attached to and its disk mode. Two round trips in parallel: the datastore search, and the
 * VMs using the datastore with their disks.
 */
export async function listDockvols(
  session: VsphereSession,
  datastore: DatastoreInfo,
  signal?: AbortSignal,
): Promise<{ tenants: DatastoreEntry[]; vmdks: DockvolsVmdk[] }> {
  if (!datastore.browser) throw new Error(`datastore ${datastore.name} has no browser`);
  const [entries, vms] = await Promise.all([
    searchDatastore(session, datastore.browser, { datastore: datastore.name, path: DOCKVOLS }, { subFolders: true }, signal),
    listVmsWithDisks(session, datastore.ref, signal),
  ]);
  const attached = new Map<string, { vm: VmInfo; disk: VmDisk }>();
  for (const { vm, disks } of vms)
    for (const disk of disks) if (disk.location) attached.set(formatDatastorePath(disk.location), { vm, disk });
  const tenants = entries.filter((e) => e.kind === 'folder' && e.location.path.split('/').length === 2);
  const vmdks = entries
    .filter((e) => e.kind === 'vmdk')
    .map((e): DockvolsVmdk => ({
      ...e,
      tenant: e.location.path.split('/').length > 2 ? e.location.path.split('/')[1] : '',
      attachedTo: attached.get(formatDatastorePath(e.location)),
    }));
  return { tenants, vmdks };
}

/** Deletes one datastore file (FileManager.DeleteDatastoreFile_Task); a file already gone counts as deleted. */
export async function deleteDatastoreFile(
  session: VsphereSession,
  loc: DatastoreLocation,
  datacenter?: MoRef,
  signal?: AbortSignal,
): Promise<void> {
  const fileManager = session.serviceContent.fileManager;
  if (!fileManager) throw new Error(`${session.host} has no FileManager to delete ${formatDatastorePath(loc)}`);
  try {
    const [task] = await session.invoke(
      'DeleteDatastoreFile_Task',
      { _this: moRefArg(fileManager), name: formatDatastorePath(loc), ...(datacenter ? { datacenter: moRefArg(datacenter) } : {}) },
      signal,
    );
    await waitForTask(session, taskRef(task), signal);
  } catch (err) {
    if (err instanceof VimFault && err.faultName === 'FileNotFound') return;
    throw err;
  }
}

/** FileManager of the session, or an error naming what needed it. */
function fileManagerOf(session: VsphereSession, what: string): MoRef {
  const fileManager = session.serviceContent.fileManager;
  if (!fileManager) throw new Error(`${session.host} has no FileManager to ${what}`);
  return fileManager;
}

/** Makes a datastore folder and its parents (FileManager.MakeDirectory); one that exists already is fine. */
export async function makeDatastoreFolder(
  session: VsphereSession,
  loc: DatastoreLocation,
  datacenter?: MoRef,
  signal?: AbortSignal,
): Promise<void> {
  const name = formatDatastorePath(loc);
  try {
    await session.invoke(
      'MakeDirectory',
      {
        _this: moRefArg(fileManagerOf(session, `make ${name}`)),
        name,
        ...(datacenter ? { datacenter: moRefArg(datacenter) } : {}),
        createParentDirectories: true,
      },
      signal,
    );
  } catch (err) {
    if (err instanceof VimFault && err.faultName === 'FileAlreadyExists') return;
    throw err;
  }
}

/** Moves one datastore file (FileManager.MoveDatastoreFile_Task); an existing destination is never overwritten. */
export async function moveDatastoreFile(
  session: VsphereSession,
  from: DatastoreLocation,
  to: DatastoreLocation,
  datacenter?: MoRef,
  signal?: AbortSignal,
): Promise<void> {
  const dc = datacenter ? moRefArg(datacenter) : undefined;
  const [task] = await session.invoke(
    'MoveDatastoreFile_Task',
    {
      _this: moRefArg(fileManagerOf(session, `move ${formatDatastorePath(from)}`)),
      sourceName: formatDatastorePath(from),
      ...(dc ? { sourceDatacenter: dc } : {}),
      destinationName: formatDatastorePath(to),
      ...(dc ? { destinationDatacenter: dc } : {}),
      force: false,
    },
    signal,
  );
  await waitForTask(session, taskRef(task), signal);
}

/** The Task a `*_Task` method returned. */
export function taskRef(value: unknown): MoRef {
  const r = ref(value);
  if (!r) throw new Error('the server returned no task');
  return r;
}

function joinPath(a: string, b: string): string {
  return a ? `${a.replace(/\/+$/, '')}/${b}` : b;
}
