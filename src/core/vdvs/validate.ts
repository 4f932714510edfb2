import { validateDatastore, validateVolumeName } from './names';
import { ACCESS, ATTACH_AS, DEFAULT_FSTYPE, isOptionKey, OPTION_KEYS, VDVS_OPTIONS, VdvsOptionKey, VdvsOptions } from './options';
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
  /** Datastores the Docker host VM can use, and its own one (for "Invalid datastore"). */
  knownDatastores?: readonly string[];
  defaultDatastore?: string;
  /** File systems the plugin has an mkfs.<type> for; the plugin checks this first. */
  supportedFstypes?: readonly string[];
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
      if (!/(mb|gb|tb)$/i.test(value) || !/^[0-9]+$/.test(value.slice(0, -2))) {
        return 'Invalid format for size. \nValid sizes must be of form X[mMgGtT]b where X is aninteger. Default = 100mb';
      }
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
    case 'clone-from':
      return validateVolumeName(value);
  }
}

export interface CreateRequest {
  name: string;
  options: VdvsOptions;
}

/**
 * The first error vDVS would return for `docker volume create --driver=vsphere`, in its order:
 * the plugin's fstype check, the service's name and datastore checks, then validate_opts
 * (unknown keys, size, vsan-policy-name, diskformat, attach-as, access, fstype), then the clone source.
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
  const nameError = validateVolumeName(req.name);
  if (nameError) return nameError;
  if (ctx.knownDatastores && ctx.defaultDatastore !== undefined) {
    const dsError = validateDatastore(
      req.name.includes('@') ? req.name.slice(req.name.lastIndexOf('@') + 1) : undefined,
      ctx.knownDatastores,
      ctx.defaultDatastore,
    );
    if (dsError) return dsError;
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
  return clone ? validateOption('clone-from', opts['clone-from']!, opts, ctx) : undefined;
}
