import { DatastoreLocation, DOCKVOLS, formatDatastorePath, isDiskDescriptor, parseDatastorePath } from '../vsphere/datastorePath';

/**
 * Where vDVS keeps volumes on a datastore (esx_service/vmdk_ops.py get_vol_path, vmdk_utils.py):
 * `[ds] dockvols/<tenant-uuid>/<volume>.vmdk`, with a `dockvols/<tenant-name>` symlink to the
 * uuid folder, and next to each descriptor its -flat extent and a metadata sidecar (`*.vmfd`, key
 * `docker-volume-vsphere`) holding the options, status and creation facts; a backup must keep it.
 * Volumes made before multi-tenancy sit directly in `dockvols/`.
 */
export const DEFAULT_TENANT_NAME = '_DEFAULT';
export const DEFAULT_TENANT_UUID = '11111111-1111-1111-1111-111111111111';
export const SIDECAR_KEY = 'docker-volume-vsphere';

/** `[ds] dockvols/<tenant>`: the folder of a tenant's volumes. */
export function tenantFolder(datastore: string, tenantUuid: string = DEFAULT_TENANT_UUID): DatastoreLocation {
  return { datastore, path: `${DOCKVOLS}/${tenantUuid}` };
}

/** `[ds] dockvols/<tenant>/<volume>.vmdk` */
export function volumeDatastorePath(datastore: string, volume: string, tenantUuid: string = DEFAULT_TENANT_UUID): string {
  return formatDatastorePath({ datastore, path: `${tenantFolder(datastore, tenantUuid).path}/${volume}.vmdk` });
}

export function isSidecar(fileName: string): boolean {
  return fileName.endsWith('.vmfd');
}

/** The files of one volume: descriptor, extent, sidecar(s). For backups and for direct removal. */
export function belongsToVolume(fileName: string, volume: string): boolean {
  if (fileName === `${volume}.vmdk` || fileName === `${volume}-flat.vmdk`) return true;
  return isSidecar(fileName) && fileName.startsWith(`${volume}-`) && /^-[0-9a-f]+\.vmfd$/i.test(fileName.slice(volume.length));
}

export interface VolumeLocation {
  datastore: string;
  volume: string;
  /** The tenant folder (a uuid or a tenant name symlink), undefined for pre-tenancy volumes. */
  tenant?: string;
}

/** Recognises a datastore path of a vDVS volume descriptor; undefined for any other file. */
export function volumeFromDatastorePath(text: string): VolumeLocation | undefined {
  if (!/^\[[^\]]+\]/.test(text.trim())) return undefined;
  const p = parseDatastorePath(text);
  const parts = p.path.split('/');
  if (parts[0] !== DOCKVOLS || parts.length < 2 || parts.length > 3) return undefined;
  const file = parts[parts.length - 1];
  if (!isDiskDescriptor(file)) return undefined;
  return { datastore: p.datastore, volume: file.slice(0, -'.vmdk'.length), tenant: parts.length === 3 ? parts[1] : undefined };
}
