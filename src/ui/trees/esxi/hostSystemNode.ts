import * as vscode from 'vscode';
import { HostSystemInfo } from '../../../core/vsphere/inventory';
import { DatastoresNode } from './datastoresNode';
import { EsxiNode } from './esxiNode';
import { HostScope } from './scope';
import { VmsNode } from './vmsNode';

/** The two folders every ESXi host shows, whether standalone or under a vCenter. */
export function hostSystemChildren(parent: EsxiNode, scope: HostScope): EsxiNode[] {
  return [new DatastoresNode(parent, scope), new VmsNode(parent, scope)];
}

/** An ESXi host of a vCenter datacenter. */
export class HostSystemNode implements EsxiNode {
  readonly id: string;
  readonly govc;

  constructor(
    readonly parent: EsxiNode,
    readonly scope: HostScope,
    readonly hostSystem: HostSystemInfo,
  ) {
    this.id = `${parent.id}/host/${hostSystem.ref.value}`;
    this.govc = { kind: 'hostSystem', datacenter: scope.datacenter, name: hostSystem.name } as const;
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.hostSystem.name, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.description = this.hostSystem.connectionState === 'connected' ? undefined : this.hostSystem.connectionState;
    item.iconPath = new vscode.ThemeIcon('server-environment');
    item.contextValue = 'vdvs.esxi.hostSystem';
    return item;
  }

  async getChildren(): Promise<EsxiNode[]> {
    return hostSystemChildren(this, this.scope);
  }

  details(): unknown {
    return this.hostSystem;
  }
}
