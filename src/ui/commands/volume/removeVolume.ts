import * as vscode from 'vscode';
import { UserError } from '../../../core/errors';
import { removeVsphereVolume } from '../../../core/vdvs/inventory';
import { CommandContext } from '../../commandContext';
import { volumesTree } from '../../trees/volumesView';
import { withDocker } from '../../connections';
import { volumeTarget } from './volumeTarget';

/** Remove: confirm (naming the VMDK that goes with it), refused with the containers named while in use. */
export async function removeVolume(ctx: CommandContext, node?: unknown): Promise<boolean> {
  const { services, ui } = ctx;
  const row = await volumeTarget(ctx, node, 'Volume to remove', (r) => r.docker.length > 0);
  if (!row) return false;
  const entry = row.docker[0];
  if (!entry)
    throw new UserError(
      `${row.key} is an orphan VMDK: no Docker host lists it.`,
      'Delete its files from the ESXi Hosts view once you are sure no Docker host uses it.',
      'ORPHAN',
    );
  if (row.containers.length) {
    throw new UserError(
      `Volume ${row.key} is in use by ${row.containers.map((c) => `${c.container} (${c.hostName})`).join(', ')}.`,
      'Remove those containers first, then remove the volume.',
      'VOLUME_IN_USE',
    );
  }
  const detail = `This deletes the VMDK${row.vmdk ? ` ${row.vmdk.path}` : ''} and its data. It cannot be undone.`;
  const choice = await ui.confirm(`Remove volume ${row.key} from ${entry.hostName}?`, detail, ['Remove']);
  if (choice !== 'Remove') return false;
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Removing ${row.key}…` }, () =>
    withDocker(services, entry.hostId, (conn) => removeVsphereVolume(conn, entry.name)),
  );
  await volumesTree(services)?.refresh();
  return true;
}
