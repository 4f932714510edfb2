import { invalidCloneDatastore, parseVdvsVolumeName, validateDatastore, VM_DS } from './names';
import {
  ACCESS,
  ATTACH_AS,
  DEFAULT_FSTYPE,
  DEFAULT_SIZE,
  isOptionKey,
  OPTION_KEYS,
  VDVS_OPTIONS,
  VdvsOptionKey,
  VdvsOptions,
} from './options';
import { pyReprList } from './pyRepr';

/**
 * What the validation knows about the target beyond the request itself. Each rule that needs a
 * fact is skipped when the fact is unknown, as the server would decide it instead.
 */
export interface ValidationContext {
  /** Whether the target datastore is vSAN (vsan-policy-name is refused elsewhere). */
  datastoreIsVsan?: boolean;
  /** vSAN policies known on the ESXi host (vmdkops_admin policy ls). */
  vsanPolicies?: readonly string[];
  /** Datastores the ESXi host has (vol@ds is matched ignoring case; "Invalid datastore"). */
  knownDatastores?: readonly string[];
  /** The tenant's default datastore from a Config DB; without one vDVS names `_VM_DS`. */
  defaultDatastore?: string;
  /** info.url of the datastore the volume goes on: vDVS names it for a clone source on an unknown datastore. */
  datastoreUrl?: string;
  /**
   * A Config DB exists (vmdkops_admin config init): the access privilege that applies to the VM's
   * vmgroup on the target datastore (undefined: none), checked before the options. Without a Config
   * DB vDVS allows everything (auth.authorize, allow_all_access).
   */
  configDb?: { access?: VdvsAccess };
  /** File systems the plugin has an mkfs.<type> for; the plugin checks this first. */
  supportedFstypes?: readonly string[];
}

/** A vmgroup's access to a datastore in vDVS's Config DB (vmdkops_admin vmgroup access add/set). */
export interface VdvsAccess {
  allowCreate: boolean;
  /** volume-maxsize in MB; 0: no limit. */
  maxVolumeSizeMb: number;
  /** volume-totalsize in MB; 0: no limit. */
  usageQuotaMb: number;
  /** What the vmgroup's volumes on that datastore already take, in MB (the "volumes" table). */
  usedMb: number;
}

/**
 * esx_service/utils/convert.py convert_to_MB: Python's int() of all but the last two characters
 * (surrounding blanks and a sign allowed; no '_', which ESXi's Python 3.5 does not take; ASCII digits
 * here) times the unit (MB, GB, TB, PB, any case); 0 when either does not parse.
 */
export function convertToMb(size: string): number {
  const number = size.slice(0, -2).trim();
  const factor = ({ MB: 1, GB: 1024, TB: 1024 ** 2, PB: 1024 ** 3 } as Record<string, number>)[size.slice(-2).toUpperCase()];
  if (factor === undefined || !/^[+-]?[0-9]+$/.test(number)) return 0;
  return Number(number) * factor;
}

/**
 * auth.check_privileges_for_command for a create (error_code.py texts), as executeRequest's
 * authorize_check runs it before createVMDK validates the options: the size is the request's
 * (auth.get_vol_size; default 100mb), whatever validate_size will say of it.
 */
export function authorizeCreate(options: VdvsOptions, access: VdvsAccess | undefined): string | undefined {
  if (!access) return 'No access privilege exists';
  if (!access.allowCreate) return 'No create privilege';
  const mb = convertToMb((options.size ?? DEFAULT_SIZE).toUpperCase());
  if (mb === 0) return 'Invalid volume size specified.';
  if (access.maxVolumeSizeMb !== 0 && mb > access.maxVolumeSizeMb) return 'Volume size exceeds the max volume size limit';
  if (access.usageQuotaMb !== 0 && mb + access.usedMb > access.usageQuotaMb) return 'The total volume size exceeds the usage quota';
  return undefined;
}

/**
 * Disk formats as a vDVS host listed them in #855. vmdk_ops prints `list()` of a dict
 * (kv.VALID_ALLOCATION_FORMATS), so on ESXi's Python 3.5 the order depends on the string hash seed
 * and differs between hosts and restarts; the declaration order is zeroedthick, thin, eagerzeroedthick.
 */
const DISK_FORMATS_AS_LISTED = ['eagerzeroedthick', 'thin', 'zeroedthick'];

export function invalidOptionsMessage(invalid: readonly string[]): string {
  const valid = VDVS_OPTIONS.map((o) => `(${pyReprList([o.key, o.vdvsDefault]).slice(1, -1)})`).join(', ');
  return `Invalid options: ${pyReprList(invalid)} \nValid options and defaults: [${valid}]`;
}

/**
 * The size text since vDVS 0.18 (vmdk_ops.py validate_size; before 0.18 it read "aninteger").
 * Its test is Python's: a lower-cased suffix mb/gb/tb and str.isdigit() before it (ASCII digits here).
 */
export const INVALID_SIZE = 'Invalid format for size. \nValid sizes must be of form X[mMgGtT]b where X is an integer. Default = 100mb';

/**
 * A size of zero passes validate_size, but convert.convert_to_KB returns None for it, and pyVmomi
 * refuses None for the required FileBackedVirtualDiskSpec.capacityKb (VmomiSupport.CheckField raises
 * TypeError), outside createVMDK's try: execRequestThread answers with repr() of the exception,
 * as ESXi's Python 3.5 prints it (the trailing comma).
 */
export const ZERO_SIZE = `Server returned an error: TypeError('Required field "capacityKb" not provided (not @optional)',)`;

/** ZERO_SIZE for a size validate_size accepts but that is zero; it comes after every option check. */
export function zeroSizeMessage(size: string | undefined): string | undefined {
  return size !== undefined && /^0+$/.test(size.slice(0, -2)) && !validateOption('size', size, {}) ? ZERO_SIZE : undefined;
}

/**
 * vDVS passes the volume name, as Docker gives it, to mkfs as the label (client_plugin vmdk_driver.go
 * Create → fs.MkfsByDevicePath `-L name`), after the ESX side created the disk; mkfs.xfs refuses a
 * label longer than 12 bytes, and the plugin then removes the disk and returns mkfs's failure, which
 * names the guest's device path. Our text says the same without the path.
 */
export const XFS_LABEL_MAX_BYTES = 12;
export function xfsLabelMessage(name: string): string | undefined {
  if (Buffer.byteLength(name, 'utf8') <= XFS_LABEL_MAX_BYTES) return undefined;
  return `Failed to create filesystem: mkfs.xfs refuses the label ${name} (vDVS labels the file system with the volume name; xfs labels are at most ${XFS_LABEL_MAX_BYTES} bytes)`;
}

/** The plugin's own check (client_plugin fs.VerifyFSSupport), run before anything reaches ESXi. */
export function fstypeSupportMessage(fstype: string, supported: readonly string[]): string | undefined {
  if (supported.includes(fstype)) return undefined;
  return `Not found mkfs for ${fstype}\nSupported filesystems found: ${supported.join(', ')}`;
}

/**
 * The error text for one option value, as vDVS words it, or undefined when valid. `options` is the
 * whole request: size and fstype are refused next to clone-from whatever their value.
 */
export function validateOption(key: VdvsOptionKey, value: string, options: VdvsOptions, ctx: ValidationContext = {}): string | undefined {
  const clone = options['clone-from'] !== undefined;
  switch (key) {
    case 'size':
      if (clone) return 'Cannot define the size for a clone';
      if (!/(mb|gb|tb)$/i.test(value) || !/^[0-9]+$/.test(value.slice(0, -2))) return INVALID_SIZE;
      return undefined;
    case 'vsan-policy-name':
      if (ctx.datastoreIsVsan === false) return 'Cannot use a VSAN policy on a non-VSAN datastore';
      if (ctx.vsanPolicies && !ctx.vsanPolicies.includes(value)) {
        const available = ctx.vsanPolicies.length ? ` Available policies are: ${pyReprList(ctx.vsanPolicies)}` : '';
        return `Policy ${value} does not exist.${available}`;
      }
      return undefined;
    case 'diskformat':
      return DISK_FORMATS_AS_LISTED.includes(value)
        ? undefined
        : `Disk Allocation Format '${value}' is not supported. Valid options are: ${pyReprList(DISK_FORMATS_AS_LISTED)}.`;
    case 'attach-as':
      return (ATTACH_AS as readonly string[]).includes(value)
        ? undefined
        : `Attach type '${value}' is not supported. Valid options are: ${pyReprList(ATTACH_AS)}`;
    case 'access':
      return (ACCESS as readonly string[]).includes(value)
        ? undefined
        : `Access type '${value}' is not supported. Valid options are: ${pyReprList(ACCESS)}`;
    case 'fstype':
      if (ctx.supportedFstypes) {
        const unsupported = fstypeSupportMessage(value, ctx.supportedFstypes);
        if (unsupported) return unsupported;
      }
      return clone ? 'Cannot define the filesystem type for a clone' : undefined;
    case 'clone-from': {
      // cloneVMDK: parse_vol_name of the source, then its datastore
      const source = parseVdvsVolumeName(value, ctx.knownDatastores);
      if (source.error !== undefined) return source.error;
      if (source.datastore && ctx.knownDatastores && ctx.datastoreUrl !== undefined && !ctx.knownDatastores.includes(source.datastore))
        return invalidCloneDatastore(source.datastore, ctx.knownDatastores, ctx.datastoreUrl);
      return undefined;
    }
  }
}

export interface CreateRequest {
  name: string;
  options: VdvsOptions;
}

/**
 * The first error vDVS would return for `docker volume create --driver=vsphere`, in its order:
 * the plugin's fstype check, the service's name and datastore checks (executeRequest,
 * parse_vol_name), with a Config DB the vmgroup's privileges (authorize_check), then validate_opts
 * (unknown keys, size, vsan-policy-name, diskformat, attach-as, access, fstype), then the clone
 * source (cloneVMDK) or the disk size (createVMDK), then the plugin's mkfs (the xfs label).
 */
export function validateCreate(req: CreateRequest, ctx: ValidationContext = {}): string | undefined {
  const opts = req.options;
  const given = Object.keys(opts).filter((k) => opts[k] !== undefined);
  const clone = opts['clone-from'] !== undefined;
  const fstype = opts.fstype ?? (clone ? undefined : DEFAULT_FSTYPE);
  if (fstype !== undefined && ctx.supportedFstypes) {
    const unsupported = fstypeSupportMessage(fstype, ctx.supportedFstypes);
    if (unsupported) return unsupported;
  }
  const name = parseVdvsVolumeName(req.name, ctx.knownDatastores);
  if (name.error !== undefined) return name.error;
  if (ctx.knownDatastores) {
    const dsError = validateDatastore(name.datastore, ctx.knownDatastores, ctx.defaultDatastore ?? VM_DS);
    if (dsError) return dsError;
  }
  if (ctx.configDb) {
    const denied = authorizeCreate(opts, ctx.configDb.access);
    if (denied) return denied;
  }
  const invalid = given.filter((k) => !isOptionKey(k));
  if (invalid.length) return invalidOptionsMessage(invalid);
  for (const key of OPTION_KEYS) {
    if (key === 'clone-from') continue;
    const value = opts[key];
    if (value === undefined) continue;
    // the plugin already checked fstype support above, with the default filled in
    const error = validateOption(key, value, opts, key === 'fstype' ? { ...ctx, supportedFstypes: undefined } : ctx);
    if (error) return error;
  }
  if (clone) return validateOption('clone-from', opts['clone-from']!, opts, ctx);
  return zeroSizeMessage(opts.size) ?? (fstype === 'xfs' ? xfsLabelMessage(req.name) : undefined);
}
