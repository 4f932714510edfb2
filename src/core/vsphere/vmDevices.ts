import { taskRef } from './datastoreBrowser';
import { VmDisk } from './inventory';
import { moRefArg, MoRef, typed } from './normalize';
import { VsphereSession } from './session';
import { waitForTask } from './tasks';

/**
 * Detaches a disk from a VM and keeps its files: a ReconfigVM_Task device change `remove` without a
 * `fileOperation` (with `destroy` the files would go too). vDVS detaches this way (vmdk_ops.py
 * disk_detach_int: `VirtualDeviceConfigSpec.Operation.remove`, no file operation).
 */
export async function detachDiskKeepFiles(session: VsphereSession, vm: MoRef, disk: VmDisk, signal?: AbortSignal): Promise<void> {
  const device = typed('VirtualDisk', {
    key: disk.key,
    backing: typed('VirtualDiskFlatVer2BackingInfo', { fileName: disk.fileName, diskMode: disk.diskMode }),
    ...(disk.controllerKey !== undefined ? { controllerKey: disk.controllerKey } : {}),
    ...(disk.unitNumber !== undefined ? { unitNumber: disk.unitNumber } : {}),
    capacityInKB: Math.floor(disk.capacityBytes / 1024),
  });
  const [task] = await session.invoke(
    'ReconfigVM_Task',
    { _this: moRefArg(vm), spec: { deviceChange: [{ operation: 'remove', device }] } },
    signal,
  );
  await waitForTask(session, taskRef(task), signal);
}
