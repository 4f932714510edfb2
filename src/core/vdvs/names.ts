import { pyRepr } from './pyRepr';

/**
 * vDVS volume names (esx_service/vmdk_ops.py parse_vol_name, docs/internal/VolumeNames.md): `vol` or
 * `vol@datastore`, the LAST '@' separates; each part at most 100 characters (Python's len(): code
 * points); a volume name ending in `-NNNNNN` (6 digits) is refused because it would clash with ESXi
 * snapshot delta disks. A short name means the tenant's default datastore (the Docker host VM's one
 * without a Config DB).
 */
export const MAX_VOLUME_NAME_LENGTH = 100;
export const MAX_DATASTORE_NAME_LENGTH = 100;
/**
 * vmdk_utils.SNAP_NAME_REGEXP `^.*-[0-9]{6}$` as Python's re.match reads it: `.` stops at a newline
 * and `$` also matches before a final newline.
 */
const SNAPSHOT_NAME = /^[^\n]*-[0-9]{6}\n?$/;
/**
 * vmdk_ops.ILLEGAL_CHARACTERS, a Python set checked in iteration order: for a name holding both,
 * which one vDVS names depends on the process's string hash seed; we name '/'.
 */
export const ILLEGAL_NAME_CHARACTERS = ['/', '\\'] as const;
/**
 * The default datastore vDVS names without a Config DB: the _DEFAULT tenant's default datastore is
 * `_VM_DS://` (auth_api.get_default_datastore_url), whose name is `_VM_DS` (auth_data_const.VM_DS).
 */
export const VM_DS = '_VM_DS';

/** Python's len() of a str: code points (51 emoji are 51, not JavaScript's 102). */
export function pyLen(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

export interface VolumeName {
  volume: string;
  /** undefined for a short name. */
  datastore?: string;
}

export function parseVolumeName(fullName: string): VolumeName {
  const at = fullName.lastIndexOf('@');
  if (at < 0) return { volume: fullName };
  return { volume: fullName.slice(0, at), datastore: fullName.slice(at + 1) };
}

/** `vol@ds`, the name every Docker host can use for the same volume. */
export function fullVolumeName(volume: string, datastore: string): string {
  return `${volume}@${datastore}`;
}

/** Resolves a short name against the datastore of the Docker host VM that asked. */
export function qualify(name: string, dockerVmDatastore: string): VolumeName & { datastore: string } {
  const parsed = parseVolumeName(name);
  return { volume: parsed.volume, datastore: parsed.datastore || dockerVmDatastore };
}

export type ParsedVolumeName = (VolumeName & { error?: undefined }) | { error: string };

/**
 * vmdk_ops.parse_vol_name, checks in its order. With the host's datastores, the datastore part is
 * matched ignoring case and comes back in the host's case (two datastores equal but for case are an
 * error); a datastore matching none is left as typed (executeRequest then says "Invalid datastore").
 * The error texts are the service's, including the quotes it adds (executeRequest returns str() of
 * its ValidationError, which is repr() of the message).
 */
export function parseVdvsVolumeName(fullName: string, datastores?: readonly string[]): ParsedVolumeName {
  const { volume, datastore } = parseVolumeName(fullName);
  const fail = (msg: string) => ({ error: pyRepr(msg) });
  if (SNAPSHOT_NAME.test(volume)) return fail("Volume names ending with '-NNNNNN' (where N is a digit) are not supported");
  if (pyLen(volume) > MAX_VOLUME_NAME_LENGTH) return fail(`Volume name is too long (max len is ${MAX_VOLUME_NAME_LENGTH})`);
  const illegal = ILLEGAL_NAME_CHARACTERS.find((c) => volume.includes(c));
  if (illegal) return fail(`Volume name contains illegal characters: ${illegal}`);
  if (!datastore) return { volume, datastore };
  if (pyLen(datastore) > MAX_DATASTORE_NAME_LENGTH) return fail(`Datastore name is too long (max len is ${MAX_DATASTORE_NAME_LENGTH})`);
  // Python's str.lower(), as parse_vol_name compares; JavaScript's toLowerCase() is the same mapping
  const matching = (datastores ?? []).filter((d) => d.toLowerCase() === datastore.toLowerCase());
  if (matching.length > 1)
    return fail(`Found multiple datastores with same name (ignoring case difference): [${matching.map(pyRepr).join(', ')}]`);
  return { volume, datastore: matching[0] ?? datastore };
}

/** The error the ESXi service returns for a bad name, or undefined (see parseVdvsVolumeName). */
export function validateVolumeName(fullName: string, datastores?: readonly string[]): string | undefined {
  return parseVdvsVolumeName(fullName, datastores).error;
}

/**
 * "Invalid datastore …" as executeRequest words it, when the datastore (already case-corrected) is
 * not one the host has. `defaultDatastore` is the tenant's default datastore, `_VM_DS` without a Config DB.
 */
export function validateDatastore(datastore: string | undefined, known: readonly string[], defaultDatastore = VM_DS): string | undefined {
  if (!datastore || known.includes(datastore)) return undefined;
  return `Invalid datastore '${datastore}'.\nKnown datastores: ${known.join(', ')}.\nDefault datastore: ${defaultDatastore}`;
}

/**
 * cloneVMDK's text for a clone source on a datastore the host does not have: it names the URL of
 * the datastore the clone goes on (`datastore_url`), not a default datastore.
 */
export function invalidCloneDatastore(datastore: string, known: readonly string[], targetDatastoreUrl: string): string {
  return `Invalid datastore '${datastore}'.\nKnown datastores: ${known.join(', ')}.\nDefault datastore_url: ${targetDatastoreUrl}`;
}
