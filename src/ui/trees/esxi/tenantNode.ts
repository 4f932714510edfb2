import * as vscode from 'vscode';
import { formatDatastorePath } from '../../../core/vsphere/datastorePath';
import { DatastoreEntry, DockvolsVmdk } from '../../../core/vsphere/datastoreBrowser';
import { EsxiNode, EsxiMessageNode } from './esxiNode';
import { HostScope } from './scope';
import { VmdkNode } from './vmdkNode';

/** vDVS' default tenant folder; the others are named by their tenant's UUID. */
const DEFAULT_TENANT = '11111111-1111-1111-1111-111111111111';

/** A tenant folder under dockvols (listed by the parent's one search). */
export class TenantNode implements EsxiNode {
  readonly id: string;
  readonly datastorePath: string;
  readonly govc;

  constructor(
    readonly parent: EsxiNode,
    readonly scope: HostScope,
    readonly folder: DatastoreEntry,
    private readonly vmdks: DockvolsVmdk[],
  ) {
    this.id = `${parent.id}/${folder.name}`;
    this.datastorePath = formatDatastorePath(folder.location);
    this.govc = { kind: 'folder', datacenter: scope.datacenter, location: folder.location } as const;
  }

  getTreeItem(): vscode.TreeItem {
    const isDefault = this.folder.name === DEFAULT_TENANT;
    const item = new vscode.TreeItem(isDefault ? '_DEFAULT' : this.folder.name, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.description = `${isDefault ? `${this.folder.name} · ` : ''}${this.vmdks.length} VMDK${this.vmdks.length === 1 ? '' : 's'}`;
    item.tooltip = this.datastorePath;
    item.iconPath = new vscode.ThemeIcon('folder');
    item.contextValue = 'vdvs.esxi.tenant';
    return item;
  }

  async getChildren(): Promise<EsxiNode[]> {
    if (!this.vmdks.length) return [new EsxiMessageNode(`${this.id}/empty`, 'No VMDKs', { parent: this, icon: 'circle-slash' })];
    return this.vmdks.map((v) => new VmdkNode(this, this.scope, v));
  }

  details(): unknown {
    return { ...this.folder, vmdks: this.vmdks.length };
  }
}
