import * as vscode from 'vscode';
import { DatastoreLocation, formatDatastorePath } from '../../../core/vsphere/datastorePath';
import { DockvolsVmdk, listDockvols } from '../../../core/vsphere/datastoreBrowser';
import { DatastoreInfo } from '../../../core/vsphere/inventory';
import { childrenOrError, EsxiNode } from './esxiNode';
import { HostScope } from './scope';
import { TenantNode } from './tenantNode';
import { VmdkNode } from './vmdkNode';

/**
 * The datastore's `dockvols` folder: tenant folders and their VMDKs from one search (plus, in
 * parallel, the VMs using the datastore, for "attached to").
 */
export class DockvolsNode implements EsxiNode {
  readonly id: string;
  readonly datastorePath: string;
  readonly govc;

  constructor(
    readonly parent: EsxiNode,
    readonly scope: HostScope,
    readonly datastore: DatastoreInfo,
    readonly location: DatastoreLocation,
  ) {
    this.id = `${parent.id}/dockvols`;
    this.datastorePath = formatDatastorePath(location);
    this.govc = { kind: 'folder', datacenter: scope.datacenter, location } as const;
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem('dockvols', vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.description = 'vDVS volumes';
    item.iconPath = new vscode.ThemeIcon('folder-library');
    item.contextValue = 'vdvs.esxi.dockvols';
    return item;
  }

  getChildren(): Promise<EsxiNode[]> {
    return childrenOrError(
      this,
      async () => {
        const { tenants, vmdks } = await listDockvols(await this.scope.session(), this.datastore);
        const byTenant = new Map<string, DockvolsVmdk[]>();
        for (const v of vmdks) byTenant.set(v.tenant, [...(byTenant.get(v.tenant) ?? []), v]);
        return [
          ...tenants.map((t) => new TenantNode(this, this.scope, t, byTenant.get(t.name) ?? [])),
          ...(byTenant.get('') ?? []).map((v) => new VmdkNode(this, this.scope, v)),
        ];
      },
      'No dockvols folder yet: vDVS creates it with the first volume',
    );
  }

  details(): unknown {
    return { datastorePath: this.datastorePath, datastore: this.datastore.name };
  }
}
