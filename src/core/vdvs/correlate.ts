import { BackupEligibility, backupEligibility } from './backupEligibility';
import { DEFAULT_TENANT_NAME, DEFAULT_TENANT_UUID, volumeFromDatastorePath } from './layout';
import { fullVolumeName, parseVolumeName } from './names';
import { VolumeFacts, volumeFacts } from './status';

/** A vsphere volume as one Docker host lists it. */
export interface DockerVolumeEntry {
  hostId: string;
  hostName: string;
  /** As Docker lists it: short for the Docker VM's own datastore, `vol@ds` for the others. */
  name: string;
  status?: Record<string, unknown>;
  /** Names of the containers (running or not) that mount it. */
  containers: string[];
  /** The Docker host VM's datastore, to qualify short names when Status has no datastore. */
  vmDatastore?: string;
  /**
   * Listed by a docker event's update after the last dockvols scan: its VMDK is not known yet, which
   * does not make it an orphan.
   */
  sinceScan?: boolean;
}

/** A VMDK found under `[ds] dockvols/` by the ESXi side. */
export interface VmdkEntry {
  esxiHostId: string;
  /** `[ds] dockvols/<tenant>/<vol>.vmdk` */
  path: string;
  /** Bytes used on the datastore (descriptor + extent). */
  sizeOnDiskBytes?: number;
  capacityBytes?: number;
  format?: string;
}

/** A disk of a VM (the Docker host VMs) as the ESXi side reports it. */
export interface VmDiskEntry {
  esxiHostId: string;
  vm: string;
  /** backing fileName, `[ds] path` */
  path: string;
  /** persistent, independent_persistent, … */
  diskMode: string;
}

export interface CorrelationInput {
  docker: DockerVolumeEntry[];
  vmdks: VmdkEntry[];
  vmDisks: VmDiskEntry[];
  /** Datastores whose dockvols folder was listed: a volume elsewhere cannot be called orphaned. */
  scannedDatastores: readonly string[];
}

export type Orphan =
  /** Docker lists it but its VMDK is not in the (scanned) dockvols folder. */
  | 'vmdk-missing'
  /** The VMDK is in dockvols but no configured Docker host lists it. */
  | 'no-docker-host';

export interface VolumeRow {
  /** `vol@ds` when the datastore is known, else the name as listed. */
  key: string;
  volume: string;
  datastore?: string;
  docker: DockerVolumeEntry[];
  vmdk?: VmdkEntry;
  tenant?: string;
  /** The VM disk it is attached as right now, if attached. */
  vmDisk?: VmDiskEntry;
  facts: VolumeFacts;
  containers: Array<{ hostName: string; container: string }>;
  /** From the disk mode in use when attached, else from the attach-as option. */
  backup: BackupEligibility;
  orphan?: Orphan;
}

function rowKey(volume: string, datastore: string | undefined): string {
  return datastore ? fullVolumeName(volume, datastore) : volume;
}

function isDefaultTenant(t: string | undefined): boolean {
  return t === undefined || t === DEFAULT_TENANT_UUID || t === DEFAULT_TENANT_NAME;
}

/**
 * Joins what the Docker hosts list with what the ESXi side finds: docker volume ↔ VMDK ↔ VM disk.
 * Rows come sorted by datastore, then volume name.
 */
export function correlate(input: CorrelationInput): VolumeRow[] {
  const rows = new Map<string, VolumeRow>();
  for (const entry of input.docker) {
    const parsed = parseVolumeName(entry.name);
    const facts = volumeFacts(entry.status);
    const datastore = parsed.datastore ?? facts.datastore ?? entry.vmDatastore;
    const key = rowKey(parsed.volume, datastore);
    let row = rows.get(key);
    if (!row) {
      row = { key, volume: parsed.volume, datastore, docker: [], facts, containers: [], backup: backupEligibility(facts.attachAs) };
      rows.set(key, row);
    }
    // right after a create Docker may list a volume both by its short name and as vol@ds: one entry per host
    if (!row.docker.some((d) => d.hostId === entry.hostId)) row.docker.push(entry);
    for (const container of entry.containers) {
      if (!row.containers.some((c) => c.hostName === entry.hostName && c.container === container))
        row.containers.push({ hostName: entry.hostName, container });
    }
  }

  // several tenants may hold the same name: the default tenant's VMDK is the one Docker hosts see
  const vmdks = [...input.vmdks].sort(
    (a, b) =>
      Number(!isDefaultTenant(volumeFromDatastorePath(a.path)?.tenant)) - Number(!isDefaultTenant(volumeFromDatastorePath(b.path)?.tenant)),
  );
  for (const vmdk of vmdks) {
    const loc = volumeFromDatastorePath(vmdk.path);
    if (!loc) continue;
    const key = rowKey(loc.volume, loc.datastore);
    const row = rows.get(key);
    if (row && !row.vmdk) {
      row.vmdk = vmdk;
      row.tenant = loc.tenant;
    } else {
      const orphanKey = row ? `${key}#${vmdk.path}` : key;
      rows.set(orphanKey, {
        key,
        volume: loc.volume,
        datastore: loc.datastore,
        docker: [],
        vmdk,
        tenant: loc.tenant,
        facts: volumeFacts(undefined),
        containers: [],
        backup: backupEligibility(undefined),
        orphan: 'no-docker-host',
      });
    }
  }

  const byPath = new Map<string, VmDiskEntry>();
  for (const disk of input.vmDisks) byPath.set(disk.path, disk);
  for (const row of rows.values()) {
    if (row.vmdk) {
      row.vmDisk = byPath.get(row.vmdk.path);
      if (row.vmDisk) row.backup = backupEligibility(row.vmDisk.diskMode);
    } else if (row.datastore && input.scannedDatastores.includes(row.datastore) && !row.docker.some((d) => d.sinceScan)) {
      row.orphan = 'vmdk-missing';
    }
  }
  return [...rows.values()].sort((a, b) => (a.datastore ?? '').localeCompare(b.datastore ?? '') || a.volume.localeCompare(b.volume));
}

export interface RowGroup {
  /** The datastore or Docker host name; undefined collects what has none. */
  label: string | undefined;
  rows: VolumeRow[];
}

export function groupByDatastore(rows: readonly VolumeRow[]): RowGroup[] {
  return groupBy(rows, (r) => [r.datastore]);
}

/** A volume several hosts list appears under each; VMDKs no host lists collect under `undefined`. */
export function groupByDockerHost(rows: readonly VolumeRow[]): RowGroup[] {
  return groupBy(rows, (r) => (r.docker.length ? [...new Set(r.docker.map((d) => d.hostName))] : [undefined]));
}

function groupBy(rows: readonly VolumeRow[], labels: (r: VolumeRow) => Array<string | undefined>): RowGroup[] {
  const groups = new Map<string | undefined, VolumeRow[]>();
  for (const row of rows) {
    for (const label of labels(row)) {
      const list = groups.get(label) ?? [];
      list.push(row);
      groups.set(label, list);
    }
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a === undefined ? 1 : b === undefined ? -1 : a.localeCompare(b)))
    .map(([label, list]) => ({ label, rows: list }));
}
