import * as vscode from 'vscode';
import { EsxiHostConfig } from '../../../core/config';
import { UserError } from '../../../core/errors';
import { Services } from '../../services';
import { EsxiNode } from '../../trees/esxi/esxiNode';

/** What host commands receive: a tree node, `{ hostId }` (error-node actions, automation) or nothing. */
export type HostArg = EsxiNode | { hostId: string } | undefined;

/** The host the command is about; asks with a quick pick when invoked from the palette. */
export async function resolveHost(services: Services, arg: HostArg, placeHolder: string): Promise<EsxiHostConfig> {
  const id = arg && 'hostId' in arg ? arg.hostId : arg && 'scope' in arg ? arg.scope?.host.id : undefined;
  if (id) {
    const host = services.hosts.get('esxi', id);
    if (!host) throw new UserError('This ESXi host is no longer configured.', undefined, 'NO_HOST');
    return host;
  }
  const hosts = services.hosts.list('esxi');
  if (!hosts.length)
    throw new UserError('No ESXi host or vCenter is configured yet.', 'Add one with "Add ESXi Host or vCenter…".', 'NO_HOST');
  const pick = await vscode.window.showQuickPick(
    hosts.map((h) => ({ label: h.name, description: h.url, host: h })),
    { placeHolder },
  );
  if (!pick) throw new vscode.CancellationError();
  return pick.host;
}

/** The node a node-only command (context menu) was invoked on. */
export function requireNode(node: EsxiNode | undefined, what: string): EsxiNode {
  if (!node) throw new UserError(`Run "${what}" from a node of the ESXi Hosts view.`, undefined, 'NO_NODE');
  return node;
}
