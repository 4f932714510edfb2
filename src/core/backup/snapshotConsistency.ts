import { CancelledError } from '../abort';
import { vmToolsRunning } from '../vsphere/inventory';
import { VimFault } from '../vsphere/faults';
import { MoRef } from '../vsphere/normalize';
import { VsphereSession } from '../vsphere/session';
import { createSnapshot } from '../vsphere/snapshots';
import { SnapshotConsistency } from './manifest';
import { Reporter } from './reporter';

export interface BackupSnapshot {
  ref: MoRef;
  consistency: SnapshotConsistency;
}

/**
 * A disk-only snapshot for a backup: quiesced when VMware Tools runs in the VM (the tools flush
 * and freeze the guest's file systems for it), else, or when quiescing fails, crash-consistent
 * (the disks as after a power cut). The report says which when it is not quiesced.
 */
export async function takeBackupSnapshot(
  session: VsphereSession,
  vm: MoRef,
  vmName: string,
  name: string,
  description: string,
  reporter: Reporter,
  signal?: AbortSignal,
): Promise<BackupSnapshot> {
  const crashConsistent = async (): Promise<BackupSnapshot> => ({
    ref: await createSnapshot(session, vm, { name, description, memory: false, quiesce: false }, signal),
    consistency: 'crash-consistent',
  });
  if (!(await vmToolsRunning(session, vm, signal))) {
    reporter.warn(
      `VMware Tools is not running in ${vmName}: taking a crash-consistent snapshot ${name} (the disks as after a power cut; the guest's file systems are not flushed first).`,
    );
    return crashConsistent();
  }
  reporter.step(`Taking quiesced snapshot ${name} of ${vmName} (VMware Tools flushes and freezes its file systems)`);
  try {
    return { ref: await createSnapshot(session, vm, { name, description, memory: false, quiesce: true }, signal), consistency: 'quiesced' };
  } catch (err) {
    if (signal?.aborted || err instanceof CancelledError || !(err instanceof VimFault)) throw err;
    reporter.warn(`The quiesced snapshot of ${vmName} failed (${err.message}); taking a crash-consistent snapshot ${name} instead.`);
    return crashConsistent();
  }
}
