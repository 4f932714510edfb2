import * as vscode from 'vscode';
import { EsxiHostConfig } from '../../../core/config';
import { listDatacenters, listHostSystems } from '../../../core/vsphere/inventory';
import { Services } from '../../services';
import { DatacenterNode } from './datacenterNode';
import { childrenOrError, EsxiNode } from './esxiNode';
import { hostSystemChildren } from './hostSystemNode';
import { HostScope } from './scope';
import { createVibNode } from './vibNode';
import { VmgroupsNode } from './vmgroupsNode';

/**
 * A configured ESXi host or vCenter. A standalone ESXi shows its Datastores, Virtual machines and the
 * vDVS VIB right away; a vCenter shows its datacenters.
 */
export class HostNode implements EsxiNode {
  readonly id: string;
  readonly scope: HostScope;
  readonly govc = { kind: 'host' } as const;
  /** Set while the host's ping fails (the view's liveness watch): its only child is this error. */
  unreachable?: Error;

  constructor(
    services: Services,
    readonly host: EsxiHostConfig,
  ) {
    this.id = `esxi/${host.id}`;
    this.scope = new HostScope(services, host);
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.host.name, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.description = `${this.host.user} @ ${hostOf(this.host.url)}`;
    item.tooltip = new vscode.MarkdownString(
      `**${this.host.name}**\n\n${this.host.url}\n\nUser: ${this.host.user}\n\nCertificate: ${this.host.thumbprint ? `pinned SHA-256 ${this.host.thumbprint}` : 'CA-verified'}`,
    );
    item.iconPath = new vscode.ThemeIcon('server');
    item.contextValue = 'vdvs.esxi.host';
    return item;
  }

  getChildren(): Promise<EsxiNode[]> {
    return childrenOrError(this, async () => {
      if (this.unreachable) throw this.unreachable;
      const session = await this.scope.session();
      const datacenters = await listDatacenters(session);
      if (session.isVcenter) return datacenters.map((dc) => new DatacenterNode(this, this.scope.within(dc.name), dc));
      const [dc] = datacenters;
      const [hostSystem] = dc ? await listHostSystems(session, dc.ref) : [];
      if (!dc || !hostSystem) throw new Error(`${this.host.url} reports no host system`);
      return [
        ...hostSystemChildren(this, this.scope.within(dc.name, hostSystem.ref)),
        createVibNode(this.scope.services, this.host, this),
        // vmgroups are read with vmdkops_admin.py: only over SSH
        ...(this.host.ssh ? [new VmgroupsNode(this.scope.services, this.host, this)] : []),
      ];
    });
  }

  details(): unknown {
    return {
      name: this.host.name,
      url: this.host.url,
      user: this.host.user,
      thumbprint: this.host.thumbprint ?? '(CA-verified, not pinned)',
    };
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
