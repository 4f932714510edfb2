/**
 * Where vDVS keeps volumes on a datastore (esx_service/vmdk_ops.py get_vol_path, vmdk_utils.py):
 * `[ds] dockvols/<tenant-uuid>/<volume>.vmdk`, with a `dockvols/<tenant-name>` symlink to the
 * uuid folder, and next to each descriptor its -flat extent and a metadata sidecar (`*.vmfd`, key
 * `docker-volume-vsphere`) holding the options, status and creation facts; a backup must keep it.
 * Volumes made before multi-tenancy sit directly in `dockvols/`.
 */
export const DOCKVOLS_DIR = 'dockvols';
export const DEFAULT_TENANT_NAME = '_DEFAULT';
export const DEFAULT_TENANT_UUID = '11111111-1111-1111-1111-111111111111';
export const SIDECAR_KEY = 'docker-volume-vsphere';

/** vmdk_utils SPECIAL_FILES_REGEXP and SNAP_VMDK_REGEXP: extents, change tracking, snapshot deltas. */
const SPECIAL_VMDK = /-(delta|ctk|digest|flat|sesparse)\.vmdk$/;
const SNAPSHOT_VMDK = /-[0-9]{6}\.vmdk$/;

/** `[ds] dockvols/<tenant>/<volume>.vmdk` */
export function volumeDatastorePath(datastore: string, volume: string, tenantUuid: string = DEFAULT_TENANT_UUID): string {
  return `[${datastore}] ${DOCKVOLS_DIR}/${tenantUuid}/${volume}.vmdk`;
}

/** `/vmfs/volumes/<ds>/dockvols/<tenant>/<volume>.vmdk`, the path in the ESXi shell. */
export function volumeEsxiPath(datastore: string, volume: string, tenantUuid: string = DEFAULT_TENANT_UUID): string {
  return `/vmfs/volumes/${datastore}/${DOCKVOLS_DIR}/${tenantUuid}/${volume}.vmdk`;
}

/** Is this file (a name inside a dockvols folder) the descriptor of a volume? */
export function isVolumeDescriptor(fileName: string): boolean {
  return fileName.endsWith('.vmdk') && !SPECIAL_VMDK.test(fileName) && !SNAPSHOT_VMDK.test(fileName);
}

export function isSidecar(fileName: string): boolean {
  return fileName.endsWith('.vmfd');
}

/** The files of one volume: descriptor, extent, sidecar(s). For backups and for direct removal. */
export function belongsToVolume(fileName: string, volume: string): boolean {
  if (fileName === `${volume}.vmdk` || fileName === `${volume}-flat.vmdk`) return true;
  return isSidecar(fileName) && fileName.startsWith(`${volume}-`) && /^-[0-9a-f]+\.vmfd$/i.test(fileName.slice(volume.length));
}

export interface DatastorePath {
  datastore: string;
  /** Path inside the datastore, no leading slash. */
  path: string;
}

/** Splits `[ds] a/b.vmdk`; undefined when the text is not a datastore path. */
export function parseDatastorePath(text: string): DatastorePath | undefined {
  const m = /^\[([^\]]*)\]\s*(.*)$/s.exec(text);
  return m ? { datastore: m[1], path: m[2] } : undefined;
}

export interface VolumeLocation {
  datastore: string;
  volume: string;
  /** The tenant folder (a uuid or a tenant name symlink), undefined for pre-tenancy volumes. */
  tenant?: string;
}

/** Recognises a datastore path of a vDVS volume descriptor; undefined for any other file. */
export function volumeFromDatastorePath(text: string): VolumeLocation | undefined {
  const p = parseDatastorePath(text);
  if (!p) return undefined;
  const parts = p.path.split('/');
  if (parts[0] !== DOCKVOLS_DIR || parts.length < 2 || parts.length > 3) return undefined;
  const file = parts[parts.length - 1];
  if (!isVolumeDescriptor(file)) return undefined;
  return { datastore: p.datastore, volume: file.slice(0, -'.vmdk'.length), tenant: parts.length === 3 ? parts[1] : undefined };
}

/** The same tenant folder, whether named by uuid or by the default tenant's symlink. */
export function sameTenant(a: string | undefined, b: string | undefined): boolean {
  const norm = (t: string | undefined) => (t === DEFAULT_TENANT_NAME || t === undefined ? DEFAULT_TENANT_UUID : t);
  return norm(a) === norm(b);
}
