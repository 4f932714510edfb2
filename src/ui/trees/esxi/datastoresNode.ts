import * as vscode from 'vscode';
import { listDatastores } from '../../../core/vsphere/inventory';
import { DatastoreNode } from './datastoreNode';
import { childrenOrError, EsxiNode } from './esxiNode';
import { HostScope } from './scope';

/** "Datastores" of an ESXi host: one RetrievePropertiesEx for all of them. */
export class DatastoresNode implements EsxiNode {
  readonly id: string;

  constructor(
    readonly parent: EsxiNode,
    readonly scope: HostScope,
  ) {
    this.id = `${parent.id}/datastores`;
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem('Datastores', vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.iconPath = new vscode.ThemeIcon('database');
    item.contextValue = 'vdvs.esxi.datastores';
    return item;
  }

  getChildren(): Promise<EsxiNode[]> {
    return childrenOrError(
      this,
      async () => {
        const datastores = await listDatastores(await this.scope.session(), this.scope.hostSystem!);
        return datastores.map((ds) => new DatastoreNode(this, this.scope, ds));
      },
      'No datastores',
    );
  }
}
