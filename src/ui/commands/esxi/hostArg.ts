import { EsxiHostConfig } from '../../../core/config';
import { CancelledError } from '../../../core/abort';
import { UserError } from '../../../core/errors';
import { CommandContext } from '../../commandContext';
import { EsxiNode } from '../../trees/esxi/esxiNode';

/** The host the command is about: the node's, the input's `hostId`, or one the user picks (palette). */
export async function resolveHost(
  { services, ui, input }: CommandContext,
  node: EsxiNode | undefined,
  placeholder: string,
): Promise<EsxiHostConfig> {
  const id = node?.scope?.host.id ?? input.hostId;
  if (id) {
    const host = services.hosts.get('esxi', id);
    if (!host) throw new UserError('This ESXi host is no longer configured.', undefined, 'NO_HOST');
    return host;
  }
  const hosts = services.hosts.list('esxi');
  if (!hosts.length)
    throw new UserError('No ESXi host or vCenter is configured yet.', 'Add one with "Add ESXi Host or vCenter…".', 'NO_HOST');
  const picked = await ui.pick({
    id: 'esxiHost',
    title: placeholder,
    step: 1,
    totalSteps: 1,
    placeholder,
    items: hosts.map((h) => ({ label: h.name, description: h.url, value: h })),
  });
  if (typeof picked !== 'object') throw new CancelledError(placeholder);
  return picked;
}

/** The node a node-only command (context menu) was invoked on. */
export function requireNode(node: EsxiNode | undefined, what: string): EsxiNode {
  if (!node) throw new UserError(`Run "${what}" from a node of the ESXi Hosts view.`, undefined, 'NO_NODE');
  return node;
}
