import { notCliXml, parseCliXmlTable } from './cliXml';
import { DEFAULT_ACCESS, DEFAULT_ATTACH_AS } from './options';
import { VdvsStatus } from './status';

/**
 * One row of `vmdkops_admin.py volume ls` (esx_service/cli/vmdkops_admin.py generate_ls_rows):
 * every volume of every vmgroup on every datastore of the ESXi host, in one call. vDVS's "N/A" and
 * "detached" are left out (undefined).
 */
export interface AdminVolume {
  volume: string;
  datastore: string;
  /** The vmgroup (tenant) whose dockvols folder holds it; undefined for an orphan folder ("N/A"). */
  vmgroup?: string;
  /** kvESX convert(): `100MB`, `1GB`. */
  capacity?: string;
  used?: string;
  filesystem?: string;
  policy?: string;
  diskFormat?: string;
  /** The VM it is attached to (by its UUID, else as the sidecar names it). */
  attachedTo?: string;
  access: string;
  attachAs: string;
  createdBy?: string;
  created?: string;
}

/** The command line: XML, because the table is cut to the terminal's width, 80 columns without one (cli_table.term_width). */
export const VOLUME_LS_ARGS = ['--output-format', 'xml', 'volume', 'ls'];

/** all_ls_headers(): the field names of each row. */
const HEADERS = {
  volume: 'Volume',
  datastore: 'Datastore',
  vmgroup: 'VMGroup',
  capacity: 'Capacity',
  used: 'Used',
  filesystem: 'Filesystem',
  policy: 'Policy',
  diskFormat: 'Disk Format',
  attachedTo: 'Attached-to',
  access: 'Access',
  attachAs: 'Attach-as',
  createdBy: 'Created By',
  created: 'Created Date',
} as const;

const NOT_AVAILABLE = 'N/A';
const DETACHED = 'detached';

/** Parses `vmdkops_admin.py --output-format xml volume ls` (cli_xml.create of generate_ls_rows). */
export function parseVolumeLs(xml: string): AdminVolume[] {
  const rows: AdminVolume[] = [];
  for (const fields of parseCliXmlTable(xml, 'volume ls')) {
    const get = (h: string) => {
      const v = fields.get(h);
      return v === undefined || v === '' || v === NOT_AVAILABLE ? undefined : v;
    };
    const volume = get(HEADERS.volume);
    const datastore = get(HEADERS.datastore);
    if (!volume || !datastore) throw notCliXml('volume ls', 'a row without Volume or Datastore');
    const attached = get(HEADERS.attachedTo);
    rows.push({
      volume,
      datastore,
      vmgroup: get(HEADERS.vmgroup),
      capacity: get(HEADERS.capacity),
      used: get(HEADERS.used),
      filesystem: get(HEADERS.filesystem),
      policy: get(HEADERS.policy),
      diskFormat: get(HEADERS.diskFormat),
      attachedTo: attached === DETACHED ? undefined : attached,
      access: get(HEADERS.access) ?? DEFAULT_ACCESS,
      attachAs: get(HEADERS.attachAs) ?? DEFAULT_ATTACH_AS,
      createdBy: get(HEADERS.createdBy),
      created: get(HEADERS.created),
    });
  }
  return rows;
}

/**
 * `volume set` (vmdkops_admin.set_vol_opts → vmdk_ops.set_vol_opts): only access and attach-as can be
 * changed, on the volume of a vmgroup; vDVS applies them at the next attach.
 */
export function volumeSetArgs(volume: string, vmgroup: string, options: { access?: string; attachAs?: string }): string[] {
  const opts = [options.access && `access=${options.access}`, options.attachAs && `attach-as=${options.attachAs}`].filter(Boolean);
  return ['volume', 'set', '--volume', volume, '--vmgroup', vmgroup, '--options', opts.join(',')];
}

/** The row as the `Status` a `docker volume inspect` would give (vmdk_ops.py vol_info), so the view reads both alike. */
export function statusOfAdminVolume(v: AdminVolume): VdvsStatus {
  return {
    datastore: v.datastore,
    capacity: v.capacity || v.used ? { size: v.capacity, allocated: v.used } : undefined,
    diskformat: v.diskFormat,
    'attach-as': v.attachAs,
    access: v.access,
    fstype: v.filesystem,
    'attached to VM': v.attachedTo,
    'created by VM': v.createdBy,
    created: v.created,
    'vsan-policy-name': v.policy,
    status: v.attachedTo ? 'attached' : 'detached',
  };
}
