import { CommandContext } from '../../commandContext';
import { EsxiNode } from '../../trees/esxi/esxiNode';
import { esxiHostsTree } from '../../trees/esxiHostsView';

/** Refreshes a node of the ESXi Hosts view, or the whole view from its title bar. */
export function refresh({ services }: CommandContext, node?: EsxiNode): Promise<void> {
  return esxiHostsTree(services).refresh(node);
}
