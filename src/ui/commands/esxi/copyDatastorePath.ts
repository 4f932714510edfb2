import * as vscode from 'vscode';
import { UserError } from '../../../core/errors';
import { CommandContext } from '../../commandContext';
import { EsxiNode } from '../../trees/esxi/esxiNode';
import { requireNode } from './hostArg';

/** Copies `[datastore] path` of a datastore, folder, VMDK or VM disk. */
export async function copyDatastorePath(_ctx: CommandContext, node?: EsxiNode): Promise<void> {
  const path = requireNode(node, 'Copy Datastore Path').datastorePath;
  if (!path) throw new UserError('This node has no datastore path.', undefined, 'NO_PATH');
  await vscode.env.clipboard.writeText(path);
  vscode.window.setStatusBarMessage(`Copied ${path}`, 3000);
}
