import { parseCliXmlTable } from './cliXml';
import { DEFAULT_TENANT_NAME, DEFAULT_TENANT_UUID } from './layout';

/** A row of `vmgroup ls` (vmdkops_admin.py tenant_ls_headers: Uuid, Name, Description, Default_datastore, VM_list). */
export interface Vmgroup {
  uuid: string;
  name: string;
  description: string;
  defaultDatastore: string;
  /** generate_vm_list: names, comma separated there. */
  vms: string[];
}

/** A row of `vmgroup access ls` (tenant_access_ls_headers): sizes as human_readable prints them, undefined for "Unset". */
export interface VmgroupAccess {
  datastore: string;
  allowCreate: boolean;
  maxVolumeSize?: string;
  totalSize?: string;
}

export const VMGROUP_LS_ARGS = ['--output-format', 'xml', 'vmgroup', 'ls'];
export const accessLsArgs = (vmgroup: string) => ['--output-format', 'xml', 'vmgroup', 'access', 'ls', '--name', vmgroup];

/**
 * What vDVS says without a Config DB (error_code.py INIT_NEEDED): the host has no vmgroups but the
 * implicit _DEFAULT one, which is not an error to show as such.
 */
export const INIT_NEEDED = "Configuration not found. Please init configuration with 'esxcli storage guestvol config init'.";

export function parseVmgroupLs(xml: string): Vmgroup[] {
  return parseCliXmlTable(xml, 'vmgroup ls').map((f) => ({
    uuid: f.get('Uuid') ?? '',
    name: f.get('Name') ?? '',
    description: f.get('Description') ?? '',
    defaultDatastore: f.get('Default_datastore') ?? '',
    vms: (f.get('VM_list') ?? '').split(',').filter(Boolean),
  }));
}

export function parseAccessLs(xml: string): VmgroupAccess[] {
  const size = (v: string | undefined) => (v && v !== 'Unset' ? v : undefined);
  return parseCliXmlTable(xml, 'vmgroup access ls').map((f) => ({
    datastore: f.get('Datastore') ?? '',
    allowCreate: f.get('Allow_create') === 'True',
    maxVolumeSize: size(f.get('Max_volume_size')),
    totalSize: size(f.get('Total_size')),
  }));
}

/** The vmgroup whose dockvols folder (its uuid) holds a volume: _DEFAULT's is fixed, others come from `vmgroup ls`. */
export function vmgroupOfFolder(folder: string | undefined, groups: readonly Vmgroup[]): string | undefined {
  if (folder === undefined || folder === DEFAULT_TENANT_UUID || folder === DEFAULT_TENANT_NAME) return DEFAULT_TENANT_NAME;
  return groups.find((g) => g.uuid === folder || g.name === folder)?.name;
}
