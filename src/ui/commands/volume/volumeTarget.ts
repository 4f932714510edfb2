import { UserError } from '../../../core/errors';
import { VolumeRow } from '../../../core/vdvs/correlate';
import { VolumeNode } from '../../trees/volumes/volumeNode';
import { CommandContext } from '../../commandContext';
import { volumesTree } from '../../trees/volumesView';

/** The volume a command acts on: the node it was run on, or one picked from the Volumes view's data. */
export async function volumeTarget(
  { services, ui }: CommandContext,
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
  const picked = await ui.pick({
    id: 'volume',
    title: placeholder,
    step: 1,
    totalSteps: 1,
    placeholder,
    items: rows.map((r) => ({ label: r.key, description: r.docker.map((d) => d.hostName).join(', ') || 'orphan VMDK', value: r })),
  });
  return typeof picked === 'object' ? picked : undefined;
}
