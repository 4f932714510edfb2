import { taskRef } from './datastoreBrowser';
import { moRefArg, MoRef, ref } from './normalize';
import { getProperties } from './propertyCollector';
import { VsphereSession } from './session';
import { parseSnapshotTree, SnapshotInfo } from './snapshotTree';
import { waitForTask } from './tasks';

export type { SnapshotInfo } from './snapshotTree';

export interface CreateSnapshotOptions {
  name: string;
  description?: string;
  /** Include memory (default false: backups want disk state only). */
  memory?: boolean;
  /** Ask VMware Tools to quiesce the guest file systems first. */
  quiesce?: boolean;
}

/**
 * Takes a snapshot of a VM and waits for it. Independent disks (vDVS' default attach-as) are not in it.
 * Cancel with `signal`; the task keeps running on the server if it already started.
 */
export async function createSnapshot(
  session: VsphereSession,
  vm: MoRef,
  options: CreateSnapshotOptions,
  signal?: AbortSignal,
): Promise<MoRef> {
  const [task] = await session.invoke(
    'CreateSnapshot_Task',
    {
      _this: moRefArg(vm),
      name: options.name,
      description: options.description ?? '',
      memory: options.memory ?? false,
      quiesce: options.quiesce ?? false,
    },
    signal,
  );
  const created = ref(await waitForTask(session, taskRef(task), signal));
  if (!created) throw new Error('CreateSnapshot_Task returned no snapshot');
  return created;
}

/** Every snapshot of a VM, parents before children. */
export async function listSnapshots(session: VsphereSession, vm: MoRef, signal?: AbortSignal): Promise<SnapshotInfo[]> {
  const { snapshot } = await getProperties(session, vm, ['snapshot'], signal);
  return parseSnapshotTree(snapshot);
}

/** Removes one snapshot (its children stay unless `removeChildren`), consolidating disks. */
export async function removeSnapshot(
  session: VsphereSession,
  snapshot: MoRef,
  options: { removeChildren?: boolean } = {},
  signal?: AbortSignal,
): Promise<void> {
  const [task] = await session.invoke(
    'RemoveSnapshot_Task',
    { _this: moRefArg(snapshot), removeChildren: options.removeChildren ?? false, consolidate: true },
    signal,
  );
  await waitForTask(session, taskRef(task), signal);
}
