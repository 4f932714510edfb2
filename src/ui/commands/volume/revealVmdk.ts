import { UserError } from '../../../core/errors';
import { VmdkNode } from '../../trees/volumes/vmdkNode';
import { revealInEsxiView } from '../../trees/volumes/revealInEsxi';
import { CommandContext } from '../../commandContext';
import { volumeTarget } from './volumeTarget';

/** Reveal the VMDK of a volume in the ESXi Hosts view. */
export async function revealVmdk(ctx: CommandContext, node?: unknown): Promise<void> {
  const row = node instanceof VmdkNode ? node.row : await volumeTarget(ctx, node, 'Volume whose VMDK to reveal', (r) => !!r.vmdk);
  if (!row) return;
  if (!row.vmdk)
    throw new UserError(`The VMDK of ${row.key} is not known.`, 'Add the ESXi host that runs the Docker host VM, then refresh.', 'NO_VMDK');
  if (!(await revealInEsxiView(ctx.services, row.vmdk.esxiHostId, row.vmdk.path))) {
    throw new UserError(
      `${row.vmdk.path} is not in the ESXi Hosts view any more.`,
      'Refresh both views: the VMDK may have been moved or deleted.',
      'VMDK_NOT_FOUND',
    );
  }
}
