import * as vscode from 'vscode';
import { UserError } from '../../../core/errors';
import { VmdkNode } from '../../trees/volumes/vmdkNode';
import { Services } from '../../services';
import { volumeTarget } from './volumeTarget';

/** The ESXi Hosts view's reveal command (issue 4), taking a datastore path. */
export const ESXI_REVEAL_COMMAND = 'vdvs.esxi.revealPath';

/** Reveal the VMDK of a volume in the ESXi Hosts view. */
export async function revealVmdk(_services: Services, node?: unknown): Promise<void> {
  const row = node instanceof VmdkNode ? node.row : await volumeTarget(node, 'Volume whose VMDK to reveal', (r) => !!r.vmdk);
  if (!row) return;
  if (!row.vmdk) throw new UserError(`The VMDK of ${row.key} is not known.`, 'Add the ESXi host that runs the Docker host VM, then refresh.', 'NO_VMDK');
  const commands = await vscode.commands.getCommands(true);
  if (!commands.includes(ESXI_REVEAL_COMMAND)) {
    throw new UserError(`The ESXi Hosts view cannot reveal ${row.vmdk.path} yet.`, undefined, 'NO_REVEAL');
  }
  await vscode.commands.executeCommand('vdvs.esxiHosts.focus');
  await vscode.commands.executeCommand(ESXI_REVEAL_COMMAND, row.vmdk.path, row.vmdk.esxiHostId);
}
