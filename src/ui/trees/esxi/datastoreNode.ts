import * as vscode from 'vscode';
import { DOCKVOLS } from '../../../core/vsphere/datastorePath';
import { DatastoreInfo } from '../../../core/vsphere/inventory';
import { describeSpace, formatBytes } from '../volumes/format';
import { DockvolsNode } from './dockvolsNode';
import { EsxiNode } from './esxiNode';
import { HostScope } from './scope';

/** A datastore: type, capacity and free space; its child is the vDVS `dockvols` folder. */
export class DatastoreNode implements EsxiNode {
  readonly id: string;
  readonly datastorePath: string;
  readonly govc;

  constructor(
    readonly parent: EsxiNode,
    readonly scope: HostScope,
    readonly datastore: DatastoreInfo,
  ) {
    this.id = `${parent.id}/${datastore.ref.value}`;
    this.datastorePath = `[${datastore.name}]`;
    this.govc = { kind: 'datastore', datacenter: scope.datacenter, datastore: datastore.name } as const;
  }

  getTreeItem(): vscode.TreeItem {
    const ds = this.datastore;
    const item = new vscode.TreeItem(ds.name, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    const free = ds.freeBytes >= 0 ? formatBytes(ds.freeBytes) : undefined;
    item.description = `${ds.type} · ${describeSpace(ds.capacityBytes, ds.freeBytes)}${ds.accessible ? '' : ' · inaccessible'}`;
    item.tooltip = `${ds.name} (${ds.type})\nCapacity ${formatBytes(ds.capacityBytes)}, free ${free ?? `not reported (${ds.freeBytes})`}\n${ds.url}`;
    item.iconPath = new vscode.ThemeIcon(ds.accessible ? 'database' : 'warning');
    item.contextValue = 'vdvs.esxi.datastore';
    return item;
  }

  async getChildren(): Promise<EsxiNode[]> {
    return [new DockvolsNode(this, this.scope, this.datastore, { datastore: this.datastore.name, path: DOCKVOLS })];
  }

  details(): unknown {
    return { ...this.datastore, datacenter: this.scope.datacenter };
  }
}
