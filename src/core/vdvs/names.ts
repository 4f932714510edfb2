import { pyRepr, pyReprList } from './pyRepr';

/**
 * vDVS volume names (esx_service/vmdk_ops.py parse_vol_name, docs/misc/VolumeNames.md): `vol` or
 * `vol@datastore`, the LAST '@' separates; each part at most 100 characters; a volume name ending
 * in `-NNNNNN` (6 digits) is refused because it would clash with ESXi snapshot delta disks.
 * A short name means the datastore of the Docker host VM.
 */
export const MAX_VOLUME_NAME_LENGTH = 100;
export const MAX_DATASTORE_NAME_LENGTH = 100;
/** vmdk_utils.SNAP_NAME_REGEXP */
const SNAPSHOT_NAME = /^.*-[0-9]{6}$/s;
/** Characters that cannot be in a VMDK file name (vDVS #1691/#1692). */
export const ILLEGAL_NAME_CHARACTERS = ['/', '\\'] as const;

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

/**
 * The error the ESXi service returns for a bad name, or undefined. The texts are the service's,
 * including the quotes it adds (it sends str() of its ValidationError, which is repr() of the message).
 * The illegal-character text is ours: the vDVS wording of #1692 is not in the sources we hold.
 */
export function validateVolumeName(fullName: string): string | undefined {
  const { volume, datastore } = parseVolumeName(fullName);
  if (SNAPSHOT_NAME.test(volume)) return pyRepr("Volume names ending with '-NNNNNN' (where N is a digit) are not supported");
  if (volume.length > MAX_VOLUME_NAME_LENGTH) return pyRepr(`Volume name is too long (max len is ${MAX_VOLUME_NAME_LENGTH})`);
  if (datastore && datastore.length > MAX_DATASTORE_NAME_LENGTH)
    return pyRepr(`Datastore name is too long (max len is ${MAX_DATASTORE_NAME_LENGTH})`);
  // worded as the lab stand-in words it, so both sides of the rules table agree
  if (ILLEGAL_NAME_CHARACTERS.some((c) => volume.includes(c)))
    return pyRepr(`Volume name ${volume} contains illegal characters: ${pyReprList(ILLEGAL_NAME_CHARACTERS)}`);
  return undefined;
}

/** "Invalid datastore …" as the service words it, when the datastore is not one it knows. */
export function validateDatastore(datastore: string | undefined, known: readonly string[], defaultDatastore: string): string | undefined {
  if (!datastore || known.includes(datastore)) return undefined;
  return `Invalid datastore '${datastore}'.\nKnown datastores: ${known.join(', ')}.\nDefault datastore: ${defaultDatastore}`;
}
