import * as vscode from 'vscode';
import { forgetViews } from '../../core/vsphere/propertyCollector';
import { esxiSessions } from '../connections';
import { perExtension, Services } from '../services';
import { EsxiNode } from './esxi/esxiNode';
import { HostNode } from './esxi/hostNode';
import { vibNodeId } from './esxi/vibNode';
import { RefreshManager } from './refreshManager';
import { NodeTree } from './treeBase';

/** The vdvs.esxiHosts view: configured ESXi hosts and vCenters, fetched level by level on expansion. */
export class EsxiHostsTree extends NodeTree<EsxiNode> {
  private rootNodes: HostNode[] = [];
  /** Its refresh owner: the host list, the Refresh button and the hosts' ping (levels are read on expansion). */
  readonly refresher: RefreshManager;

  constructor(private readonly services: Services) {
    super();
    this.refresher = new RefreshManager(services, { hostKinds: ['esxi'], esxiPing: true }, async (hostId, cause) =>
      hostId ? this.refreshHost(hostId, cause?.unreachable) : this.refresh(),
    );
  }

  protected async roots(): Promise<EsxiNode[]> {
    this.rootNodes = this.services.hosts.list('esxi').map((h) => new HostNode(this.services, h));
    return this.rootNodes;
  }

  /**
   * Re-reads `node` (all hosts when absent). The session stays, but its container views are
   * re-created, which also notices a dropped session on servers that answer stale views with nothing.
   */
  async refresh(node?: EsxiNode): Promise<void> {
    const hostIds = node?.scope ? [node.scope.host.id] : this.services.hosts.list('esxi').map((h) => h.id);
    await Promise.all(
      hostIds.map(
        (id) =>
          esxiSessions(this.services)
            .ifOpen(id)
            ?.then(forgetViews, () => undefined) ?? Promise.resolve(),
      ),
    );
    this.changed.fire(node);
  }

  /**
   * Re-reads one host node (e.g. after the VIB was installed on it). `unreachable` (its ping failed): the
   * node shows that error at once, without a login that would wait out the timeout; the next re-read clears it.
   */
  refreshHost(hostId: string, unreachable?: Error): void {
    const node = this.rootNodes.find((r) => r.host.id === hostId);
    if (node) node.unreachable = unreachable;
    this.changed.fire(node);
  }

  override dispose(): void {
    this.refresher.dispose();
    super.dispose();
  }
}

/** The ESXi Hosts tree of this extension instance (commands refresh it). */
export const esxiHostsTree = perExtension((services) => new EsxiHostsTree(services));

/** Refreshes one host node of the ESXi Hosts view (for the VIB commands). */
export function refreshEsxiHost(services: Services, hostId: string): void {
  esxiHostsTree(services).refreshHost(hostId);
}

/**
 * Shows a host's "vDVS VIB" node expanded, which reads the VIB status (after SSH was set up: VS Code
 * would otherwise keep the row as it was without SSH, a leaf, and show it collapsed).
 */
export async function revealVibNode(services: Services, hostId: string): Promise<void> {
  const view = views.get(services);
  const tree = esxiHostsTree(services);
  const hostNode = (await tree.getChildren()).find((n) => n instanceof HostNode && n.host.id === hostId);
  const vibNode = hostNode && (await tree.getChildren(hostNode)).find((n) => n.id === vibNodeId(hostNode.id));
  if (view && vibNode) await view.reveal(vibNode, { expand: true, select: true, focus: false });
}

const views = new WeakMap<Services, vscode.TreeView<EsxiNode>>();

/** The vdvs.esxiHosts TreeView of this extension instance, once created (for reveal from other views). */
export function esxiHostsTreeView(services: Services): vscode.TreeView<EsxiNode> | undefined {
  return views.get(services);
}

/** Fills the vdvs.esxiHosts view (made by the activation shell); returns its data provider. */
export function createEsxiHostsView(services: Services, shellView: vscode.TreeView<unknown>): EsxiHostsTree {
  const tree = esxiHostsTree(services);
  const view = shellView as vscode.TreeView<EsxiNode>;
  tree.refresher.attach(view);
  views.set(services, view);
  return tree;
}
