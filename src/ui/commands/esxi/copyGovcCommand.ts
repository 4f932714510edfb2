import * as vscode from 'vscode';
import { UserError } from '../../../core/errors';
import { govcCommand } from '../../../core/vsphere/govc';
import { CommandContext } from '../../commandContext';
import { EsxiNode } from '../../trees/esxi/esxiNode';
import { requireNode } from './hostArg';

/** Copies the govc command line that shows the same object (GOVC_PASSWORD is left to the user). */
export async function copyGovcCommand(_ctx: CommandContext, node?: EsxiNode): Promise<string> {
  const n = requireNode(node, 'Copy govc Command');
  if (!n.govc || !n.scope) throw new UserError('There is no govc equivalent for this node.', undefined, 'NO_GOVC');
  const line = govcCommand(n.scope.host, n.govc);
  await vscode.env.clipboard.writeText(line);
  vscode.window.setStatusBarMessage('Copied the govc command (set GOVC_PASSWORD before running it)', 4000);
  return line;
}
