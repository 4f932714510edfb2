import { DatastoreEntry } from '../vsphere/datastoreBrowser';
import { DatastoreLocation, DOCKVOLS, formatDatastorePath, parseDatastorePath } from '../vsphere/datastorePath';
import { DEFAULT_TENANT_NAME, DEFAULT_TENANT_UUID } from '../vdvs/layout';

/**
 * The files of one disk in a dockvols folder, grouped (never reported one by one): the descriptor
 * `<v>.vmdk`, its extent `<v>-flat.vmdk`, snapshot deltas `<v>-NNNNNN.vmdk` / `<v>-NNNNNN-delta.vmdk`,
 * change tracking `<v>-ctk.vmdk` and the vDVS sidecar `<v>-<16 hex>.vmfd` (kvESX names it so).
 */
export interface DiskGroup {
  datastore: string;
  /** `dockvols/<tenant uuid>` (`_DEFAULT` read as its uuid), or `dockvols` for pre-tenancy volumes. */
  folder: string;
  /** The tenant uuid, undefined directly in dockvols. */
  tenant?: string;
  /** The disk's name: the volume name for vDVS disks. */
  name: string;
  descriptor?: DatastoreLocation;
  flat?: DatastoreLocation;
  deltas: DatastoreLocation[];
  sidecar?: DatastoreLocation;
  /** Every file of the disk, descriptor first. */
  files: DatastoreLocation[];
  bytes: number;
}

const PATTERNS: Array<[RegExp, 'flat' | 'delta' | 'sidecar' | 'ctk' | 'descriptor']> = [
  [/^(.+)-flat\.vmdk$/, 'flat'],
  [/^(.+)-\d{6}(?:-delta|-sesparse)?\.vmdk$/, 'delta'],
  [/^(.+)-[0-9a-f]{16}\.vmfd$/i, 'sidecar'],
  [/^(.+)-ctk\.vmdk$/, 'ctk'],
  [/^(.+)\.vmdk$/, 'descriptor'],
];

/** The tenant folder as its uuid: the `_DEFAULT` symlink and the folder it points at are one place. */
export function canonicalPath(loc: DatastoreLocation): DatastoreLocation {
  const parts = loc.path.split('/');
  if (parts[0] === DOCKVOLS && parts[1] === DEFAULT_TENANT_NAME) parts[1] = DEFAULT_TENANT_UUID;
  return { datastore: loc.datastore, path: parts.join('/') };
}

/** A VM disk backing as the descriptor of its base disk: a snapshot's `<v>-000001.vmdk` is disk `<v>`. */
export function baseDiskPath(fileName: string): string | undefined {
  try {
    const loc = canonicalPath(parseDatastorePath(fileName));
    return formatDatastorePath({ ...loc, path: loc.path.replace(/-\d{6}\.vmdk$/, '.vmdk') });
  } catch {
    return undefined;
  }
}

/** Groups the files a dockvols search found per disk, per folder. Folders and files of no disk are skipped. */
export function groupDiskFiles(entries: readonly DatastoreEntry[]): DiskGroup[] {
  const groups = new Map<string, DiskGroup>();
  const seen = new Set<string>();
  for (const e of entries) {
    if (e.kind === 'folder') continue;
    const loc = canonicalPath(e.location);
    const key = formatDatastorePath(loc);
    if (seen.has(key)) continue; // found through the _DEFAULT symlink and through its folder
    seen.add(key);
    const slash = loc.path.lastIndexOf('/');
    const folder = loc.path.slice(0, slash);
    const file = loc.path.slice(slash + 1);
    if (folder !== DOCKVOLS && !folder.startsWith(`${DOCKVOLS}/`)) continue;
    const match = PATTERNS.map(([re, role]) => [re.exec(file), role] as const).find(([m]) => m);
    // not a disk's file: the _DEFAULT symlink (listed as a file), a lock, a note
    if (!match?.[0]) continue;
    const [m, role] = match;
    const name = m[1];
    const groupKey = `${loc.datastore}\0${folder}\0${name}`;
    let g = groups.get(groupKey);
    if (!g) {
      const parts = folder.split('/');
      g = { datastore: loc.datastore, folder, ...(parts[1] ? { tenant: parts[1] } : {}), name, deltas: [], files: [], bytes: 0 };
      groups.set(groupKey, g);
    }
    g.bytes += e.fileSize ?? 0;
    if (role === 'descriptor') {
      g.descriptor = loc;
      g.files.unshift(loc);
      continue;
    }
    if (role === 'flat') g.flat = loc;
    else if (role === 'delta') g.deltas.push(loc);
    else if (role === 'sidecar') g.sidecar = loc;
    g.files.push(loc);
  }
  return [...groups.values()].sort((a, b) => `${a.datastore}/${a.folder}/${a.name}`.localeCompare(`${b.datastore}/${b.folder}/${b.name}`));
}
