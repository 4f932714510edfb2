import { arr, at, bool, MoRef, ref, str } from './normalize';

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

/** The snapshots of a VM's `snapshot` property (VirtualMachineSnapshotInfo), parents before children. */
export function parseSnapshotTree(snapshot: unknown): SnapshotInfo[] {
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
