import * as vscode from 'vscode';
import { forgetViews } from '../../core/vsphere/propertyCollector';
import { esxiSessions } from '../connections';
import { perExtension, Services } from '../services';
import { EsxiNode } from './esxi/esxiNode';
import { HostNode } from './esxi/hostNode';
import { vibNodeId } from './esxi/vibNode';

/** The vdvs.esxiHosts view: configured ESXi hosts and vCenters, fetched level by level on expansion. */
export class EsxiHostsTree implements vscode.TreeDataProvider<EsxiNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<EsxiNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private roots: HostNode[] = [];
  private readonly subscription: vscode.Disposable;

  constructor(private readonly services: Services) {
    this.subscription = services.hosts.onDidChange((kind) => kind === 'esxi' && this.refresh());
  }

  getTreeItem(node: EsxiNode): vscode.TreeItem {
    return node.getTreeItem();
  }

  async getChildren(node?: EsxiNode): Promise<EsxiNode[]> {
    if (node) return node.getChildren ? node.getChildren() : [];
    this.roots = this.services.hosts.list('esxi').map((h) => new HostNode(this.services, h));
    return this.roots;
  }

  getParent(node: EsxiNode): EsxiNode | undefined {
    return node.parent;
  }

  /**
   * Re-reads `node` (all hosts when absent). The session stays, but its container views are
   * re-created, which also notices a dropped session on servers that answer stale views with nothing.
   */
  async refresh(node?: EsxiNode): Promise<void> {
    const hostIds = node?.scope ? [node.scope.host.id] : this.services.hosts.list('esxi').map((h) => h.id);
    await Promise.all(hostIds.map((id) => esxiSessions(this.services).ifOpen(id)?.then(forgetViews, () => undefined)));
    this.changed.fire(node);
  }

  /** Re-reads one host node (e.g. after the VIB was installed on it). */
  refreshHost(hostId: string): void {
    const node = this.roots.find((r) => r.host.id === hostId);
    this.changed.fire(node);
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
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

/** The vdvs.esxiHosts view. */
export function createEsxiHostsView(services: Services): vscode.TreeView<EsxiNode> {
  const view = vscode.window.createTreeView('vdvs.esxiHosts', { treeDataProvider: esxiHostsTree(services), showCollapseAll: true });
  views.set(services, view);
  return view;
}
