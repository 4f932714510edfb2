import * as vscode from 'vscode';
import { DatacenterInfo, listHostSystems } from '../../../core/vsphere/inventory';
import { childrenOrError, EsxiNode } from './esxiNode';
import { HostSystemNode } from './hostSystemNode';
import { HostScope } from './scope';

/** A datacenter of a vCenter; its children are the ESXi hosts in it. */
export class DatacenterNode implements EsxiNode {
  readonly id: string;
  readonly govc;

  constructor(
    readonly parent: EsxiNode,
    readonly scope: HostScope,
    readonly datacenter: DatacenterInfo,
  ) {
    this.id = `${parent.id}/dc/${datacenter.ref.value}`;
    this.govc = { kind: 'datacenter', datacenter: datacenter.name } as const;
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.datacenter.name, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.iconPath = new vscode.ThemeIcon('organization');
    item.contextValue = 'vdvs.esxi.datacenter';
    return item;
  }

  getChildren(): Promise<EsxiNode[]> {
    return childrenOrError(
      this,
      async () => {
        const hosts = await listHostSystems(await this.scope.session(), this.datacenter.ref);
        return hosts.map((h) => new HostSystemNode(this, this.scope.within(this.datacenter.name, h.ref), h));
      },
      'No hosts in this datacenter',
    );
  }

  details(): unknown {
    return this.datacenter;
  }
}
