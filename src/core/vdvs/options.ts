/**
 * The `-o` options of `docker volume create --driver=vsphere`, as vDVS 0.21 defines them
 * (esx_service/volume_kv.py, vmdk_ops.py validate_opts; client_plugin vmdk_driver.go for fstype).
 * The order is vDVS's own: it is the order of "Valid options and defaults" in its error text.
 */
export type VdvsOptionKey = 'size' | 'vsan-policy-name' | 'diskformat' | 'attach-as' | 'access' | 'fstype' | 'clone-from';

export interface VdvsOptionSpec {
  key: VdvsOptionKey;
  /** The default as vDVS prints it in "Valid options and defaults". */
  vdvsDefault: string;
  /** The closed set of values, when there is one. */
  values?: readonly string[];
  /** Options this one cannot be combined with. */
  excludes?: readonly VdvsOptionKey[];
  /** Can be changed after creation (vmdkops_admin volume set): only access and attach-as. */
  editable: boolean;
  description: string;
}

export const DISK_FORMATS = ['thin', 'zeroedthick', 'eagerzeroedthick'] as const;
export const ATTACH_AS = ['independent_persistent', 'persistent'] as const;
export const ACCESS = ['read-write', 'read-only'] as const;
export type DiskFormat = (typeof DISK_FORMATS)[number];
export type AttachAs = (typeof ATTACH_AS)[number];
export type Access = (typeof ACCESS)[number];

export const DEFAULT_SIZE = '100mb';
export const DEFAULT_DISK_FORMAT: DiskFormat = 'thin';
export const DEFAULT_ATTACH_AS: AttachAs = 'independent_persistent';
export const DEFAULT_ACCESS: Access = 'read-write';
export const DEFAULT_FSTYPE = 'ext4';

export const VDVS_OPTIONS: readonly VdvsOptionSpec[] = [
  {
    key: 'size',
    vdvsDefault: DEFAULT_SIZE,
    excludes: ['clone-from'],
    editable: false,
    description: 'Disk size: an integer followed by mb, gb or tb.',
  },
  {
    key: 'vsan-policy-name',
    vdvsDefault: '[VSAN default]',
    editable: false,
    description: 'A vSAN storage policy created with vmdkops_admin; vSAN datastores only.',
  },
  { key: 'diskformat', vdvsDefault: DEFAULT_DISK_FORMAT, values: DISK_FORMATS, editable: false, description: 'Allocation of the VMDK.' },
  {
    key: 'attach-as',
    vdvsDefault: DEFAULT_ATTACH_AS,
    values: ATTACH_AS,
    editable: true,
    description: 'Disk mode when attached to the Docker host VM; independent_persistent disks are skipped by VM snapshots.',
  },
  {
    key: 'access',
    vdvsDefault: DEFAULT_ACCESS,
    values: ACCESS,
    editable: true,
    description: 'Mount the file system read-write or read-only.',
  },
  {
    key: 'fstype',
    vdvsDefault: DEFAULT_FSTYPE,
    excludes: ['clone-from'],
    editable: false,
    description: 'File system made by the plugin on the Docker host (needs its mkfs.<fstype>).',
  },
  {
    key: 'clone-from',
    vdvsDefault: 'None',
    excludes: ['size', 'fstype'],
    editable: false,
    description: 'Copy an existing volume (vol or vol@datastore); the clone keeps its size and file system.',
  },
];

export const OPTION_KEYS: readonly VdvsOptionKey[] = VDVS_OPTIONS.map((o) => o.key);

export function isOptionKey(key: string): key is VdvsOptionKey {
  return (OPTION_KEYS as readonly string[]).includes(key);
}

/** `-o` options as given: key → value, in the order the user gave them. */
export type VdvsOptions = Partial<Record<VdvsOptionKey, string>> & Record<string, string | undefined>;
