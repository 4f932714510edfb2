import * as vscode from 'vscode';
import { listVms } from '../../../core/vsphere/inventory';
import { childrenOrError, EsxiNode } from './esxiNode';
import { HostScope } from './scope';
import { VmNode } from './vmNode';

/** "Virtual machines" of an ESXi host: one RetrievePropertiesEx for all of them. */
export class VmsNode implements EsxiNode {
  readonly id: string;

  constructor(
    readonly parent: EsxiNode,
    readonly scope: HostScope,
  ) {
    this.id = `${parent.id}/vms`;
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem('Virtual machines', vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.iconPath = new vscode.ThemeIcon('vm');
    item.contextValue = 'vdvs.esxi.vms';
    return item;
  }

  getChildren(): Promise<EsxiNode[]> {
    return childrenOrError(
      this,
      async () => {
        const vms = await listVms(await this.scope.session(), this.scope.hostSystem!);
        return vms.map((vm) => new VmNode(this, this.scope, vm));
      },
      'No virtual machines',
    );
  }
}
