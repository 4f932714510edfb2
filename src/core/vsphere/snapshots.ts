import { taskRef } from './datastoreBrowser';
import { arr, at, bool, moRefArg, MoRef, ref, str } from './normalize';
import { getProperties } from './propertyCollector';
import { VsphereSession } from './session';
import { waitForTask } from './tasks';

/** A VM snapshot (flattened from the VM's snapshot tree). */
export interface SnapshotInfo {
  ref: MoRef;
  name: string;
  description: string;
  createTime?: string;
  quiesced?: boolean;
  /** The parent snapshot's ref value, for the tree. */
  parent?: string;
}

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
  const out: SnapshotInfo[] = [];
  const walk = (nodes: unknown, parent?: string) => {
    for (const n of arr(nodes)) {
      const r = ref(at(n, 'snapshot'));
      if (!r) continue;
      out.push({
        ref: r,
        name: str(at(n, 'name')) ?? '',
        description: str(at(n, 'description')) ?? '',
        createTime: str(at(n, 'createTime')),
        quiesced: bool(at(n, 'quiesced')),
        parent,
      });
      walk(at(n, 'childSnapshotList'), r.value);
    }
  };
  walk(at(snapshot, 'rootSnapshotList'));
  return out;
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
