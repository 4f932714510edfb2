import { DEFAULT_ACCESS, DEFAULT_ATTACH_AS, DEFAULT_DISK_FORMAT } from './options';

/**
 * The `Status` of `docker volume inspect` for a vsphere volume (vmdk_ops.py vol_info), with the
 * names vDVS uses. Everything is optional: older services and the error path return less.
 */
export interface VdvsStatus {
  access?: string;
  'attach-as'?: string;
  'attached to VM'?: string;
  /** vmdk_ops.py dev_info: ControllerPciBusNumber is "<bridge slot in hex>.<function>" (get_controller_pci_slot). */
  attachedVMDevice?: { Unit?: string; ControllerPciSlotNumber?: string; ControllerPciBusNumber?: string };
  capacity?: { allocated?: string; size?: string };
  'clone-from'?: string;
  created?: string;
  'created by VM'?: string;
  datastore?: string;
  diskformat?: string;
  fstype?: string;
  status?: string;
  'vsan-policy-name'?: string;
}

/** The fields the Volumes view shows, with vDVS's defaults filled in as the service does. */
export interface VolumeFacts {
  datastore?: string;
  size?: string;
  allocated?: string;
  diskformat: string;
  attachAs: string;
  access: string;
  fstype?: string;
  status?: string;
  attachedToVm?: string;
  createdByVm?: string;
  created?: string;
  cloneFrom?: string;
  vsanPolicy?: string;
}

export function volumeFacts(status: Record<string, unknown> | undefined): VolumeFacts {
  const s = (status ?? {}) as VdvsStatus;
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const clone = str(s['clone-from']);
  return {
    datastore: str(s.datastore),
    size: str(s.capacity?.size),
    allocated: str(s.capacity?.allocated),
    diskformat: str(s.diskformat) ?? DEFAULT_DISK_FORMAT,
    attachAs: str(s['attach-as']) ?? DEFAULT_ATTACH_AS,
    access: str(s.access) ?? DEFAULT_ACCESS,
    fstype: str(s.fstype),
    status: str(s.status),
    attachedToVm: str(s['attached to VM']),
    createdByVm: str(s['created by VM']),
    created: str(s.created),
    cloneFrom: clone === 'None' ? undefined : clone,
    vsanPolicy: str(s['vsan-policy-name']),
  };
}
