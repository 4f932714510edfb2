import { EsxiNode } from '../esxi/esxiNode';
import { DatacenterNode } from '../esxi/datacenterNode';
import { DatastoresNode } from '../esxi/datastoresNode';
import { HostNode } from '../esxi/hostNode';
import { HostSystemNode } from '../esxi/hostSystemNode';
import { esxiHostsTree, esxiHostsTreeView } from '../esxiHostsView';
import { Services } from '../../services';

/** Folders on the way from a host to its datastores; everything else below a host is skipped. */
function leadsToDatastores(node: EsxiNode): boolean {
  return node instanceof HostNode || node instanceof DatacenterNode || node instanceof HostSystemNode || node instanceof DatastoresNode;
}

/** `[ds] a/b` lies at or below `[ds] a` (or `[ds]`). */
function within(target: string, folder: string): boolean {
  return target === folder || target.startsWith(folder.endsWith(']') ? `${folder} ` : `${folder}/`);
}

/**
 * Finds the node of a datastore path (`[ds] dockvols/<tenant>/<vol>.vmdk`) in the ESXi Hosts view,
 * loading only the levels on the way (host → datacenter/host system → Datastores → datastore →
 * dockvols → tenant) through the view's own tree, so the nodes are the ones the view shows.
 */
export async function findEsxiNode(services: Services, esxiHostId: string, datastorePath: string): Promise<EsxiNode | undefined> {
  const tree = esxiHostsTree(services);
  let level: EsxiNode[] = (await tree.getChildren()).filter((n) => n instanceof HostNode && n.host.id === esxiHostId);
  while (level.length) {
    const exact = level.find((n) => n.datastorePath === datastorePath);
    if (exact) return exact;
    const next = level.filter((n) => (n.datastorePath !== undefined ? within(datastorePath, n.datastorePath) : leadsToDatastores(n)));
    level = (await Promise.all(next.map((n) => tree.getChildren(n)))).flat();
  }
  return undefined;
}

/** Reveals and selects a datastore path in the ESXi Hosts view; false when it is not there. */
export async function revealInEsxiView(services: Services, esxiHostId: string, datastorePath: string): Promise<boolean> {
  const view = esxiHostsTreeView(services);
  const node = view && (await findEsxiNode(services, esxiHostId, datastorePath));
  if (!view || !node) return false;
  await view.reveal(node, { select: true, focus: true, expand: true });
  return true;
}
