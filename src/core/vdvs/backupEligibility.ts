import { AttachAs, DEFAULT_ATTACH_AS } from './options';

/**
 * Will a VM-snapshot backup of the Docker host VM include this volume? A disk attached
 * `independent_persistent` (the vDVS default) is excluded from VM snapshots, so image-level backup
 * products skip it silently (vDVS #636, #2052); `persistent` disks are included.
 */
export interface BackupEligibility {
  includedInVmSnapshots: boolean;
  /** One line for a badge tooltip. */
  summary: string;
  reason: string;
  /** What to do about it; empty when nothing is needed. */
  wayOut: string;
}

export function backupEligibility(attachAs: string | undefined): BackupEligibility {
  const mode = (attachAs ?? DEFAULT_ATTACH_AS) as AttachAs;
  if (mode === 'persistent') {
    return {
      includedInVmSnapshots: true,
      summary: 'Included in VM snapshot backups',
      reason: 'Attached as persistent (dependent): the disk takes part in snapshots of the Docker host VM.',
      wayOut: '',
    };
  }
  return {
    includedInVmSnapshots: false,
    summary: 'Skipped by VM snapshot backups',
    reason: `Attached as ${mode}: independent disks are left out of VM snapshots, so snapshot-based backups of the Docker host VM do not contain this volume (vDVS #636, #2052).`,
    wayOut:
      'Recreate it with -o attach-as=persistent (or switch it on the ESXi host: vmdkops_admin.py volume set --volume=NAME@DATASTORE --vmgroup=_DEFAULT --options="attach-as=persistent", effective at its next attach), or back it up with an archive backup (vdvs-backup task, mode archive).',
  };
}
