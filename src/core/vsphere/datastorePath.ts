import { UserError } from '../errors';

/** A file on a datastore: `[datastore1] dockvols/_DEFAULT/vol.vmdk` = { datastore, path }. */
export interface DatastoreLocation {
  datastore: string;
  /** Relative to the datastore root, `/`-separated, no leading slash; '' for the root. */
  path: string;
}

export function parseDatastorePath(text: string): DatastoreLocation {
  const m = /^\[([^\]]+)\]\s*(.*)$/.exec(text.trim());
  if (!m)
    throw new UserError(`"${text}" is not a datastore path.`, 'Datastore paths look like [datastore1] folder/disk.vmdk.', 'BAD_DS_PATH');
  return { datastore: m[1], path: m[2].replace(/^\/+/, '') };
}

export function formatDatastorePath(loc: DatastoreLocation): string {
  return loc.path ? `[${loc.datastore}] ${loc.path}` : `[${loc.datastore}]`;
}

/** vDVS keeps its disks under `dockvols/` of a datastore. */
export const DOCKVOLS = 'dockvols';

export function isUnderDockvols(loc: DatastoreLocation): boolean {
  return loc.path === DOCKVOLS || loc.path.startsWith(`${DOCKVOLS}/`);
}

/** A VMDK descriptor a user manages, not an extent, delta, change-tracking or snapshot file. */
export function isDiskDescriptor(name: string): boolean {
  return /\.vmdk$/i.test(name) && !/-(flat|delta|ctk|sesparse|rdm|rdmp|\d{6})\.vmdk$/i.test(name);
}
