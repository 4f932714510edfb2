import * as vscode from 'vscode';
import { UserError } from '../../../core/errors';
import { VolumeRow } from '../../../core/vdvs/correlate';
import { VolumeNode } from '../../trees/volumes/volumeNode';
import { Services } from '../../services';
import { volumesTree } from '../../trees/volumesView';

/** The volume a command acts on: the node it was run on, or one picked from the Volumes view's data. */
export async function volumeTarget(
  services: Services,
  node: unknown,
  placeholder: string,
  filter: (r: VolumeRow) => boolean = () => true,
): Promise<VolumeRow | undefined> {
  if (node instanceof VolumeNode) return node.row;
  const tree = volumesTree(services);
  const snapshot = tree.current ?? (await tree.refresh());
  const rows = snapshot.rows.filter(filter);
  if (!rows.length)
    throw new UserError(
      'No vSphere volume to choose from.',
      'Add a Docker host with the vsphere plugin, or create a volume first.',
      'NO_VOLUMES',
    );
  const pick = await vscode.window.showQuickPick(
    rows.map((r) => ({ label: r.key, description: r.docker.map((d) => d.hostName).join(', ') || 'orphan VMDK', row: r })),
    { placeHolder: placeholder },
  );
  return pick?.row;
}
