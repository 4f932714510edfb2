import * as vscode from 'vscode';
import { EsxiHostConfig } from '../../../core/config';
import { errorMessage, UserError } from '../../../core/errors';
import { runVmdkopsAdmin } from '../../../core/esx/vmdkopsAdmin';
import { accessLsArgs, INIT_NEEDED, parseAccessLs, parseVmgroupLs, Vmgroup, VMGROUP_LS_ARGS } from '../../../core/vdvs/adminVmgroups';
import { DEFAULT_TENANT_NAME } from '../../../core/vdvs/layout';
import { esxiShells } from '../../connections';
import { requestTimeoutMs, Services } from '../../services';
import { EsxiMessageNode, EsxiNode } from './esxiNode';

/**
 * The "vmgroups" child of an ESXi host with SSH: vDVS's access control (vmdkops_admin.py vmgroup ls),
 * each vmgroup with its VMs and its datastores with their quotas (vmgroup access ls). Without a
 * Config DB vDVS has only the implicit _DEFAULT vmgroup: that is said, not shown as an error.
 */
export class VmgroupsNode implements EsxiNode {
  readonly id: string;

  constructor(
    private readonly services: Services,
    private readonly host: EsxiHostConfig,
    readonly parent: EsxiNode,
  ) {
    this.id = `${parent.id}/vmgroups`;
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem('vmgroups', vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.iconPath = new vscode.ThemeIcon('organization');
    item.tooltip = 'vDVS vmgroups (access control and quotas), read with vmdkops_admin.py over SSH.';
    item.contextValue = 'vdvs.vmgroups';
    return item;
  }

  async getChildren(): Promise<EsxiNode[]> {
    const admin = (args: string[]) =>
      esxiShells(this.services).use(this.host, (s) => runVmdkopsAdmin(s, args, { timeoutMs: requestTimeoutMs() }));
    try {
      const groups = parseVmgroupLs(await admin(VMGROUP_LS_ARGS));
      const access = await Promise.all(groups.map(async (g) => parseAccessLs(await admin(accessLsArgs(g.name)))));
      return groups.map((g, i) => new VmgroupNode(this, g, access[i]));
    } catch (err) {
      if (err instanceof UserError && err.message.endsWith(INIT_NEEDED)) {
        return [
          new EsxiMessageNode(`${this.id}/none`, 'no Config DB: every VM is in _DEFAULT', {
            parent: this,
            icon: 'info',
            tooltip: `${INIT_NEEDED}\n\nWithout a Config DB vDVS applies no access control or quota.`,
          }),
        ];
      }
      this.services.log.error(`ESXi view: ${this.host.name}: vmgroups: ${errorMessage(err)}`);
      return [new EsxiMessageNode(`${this.id}/error`, 'cannot read vmgroups', { parent: this, icon: 'error', tooltip: errorMessage(err) })];
    }
  }
}

class VmgroupNode implements EsxiNode {
  readonly id: string;

  constructor(
    readonly parent: EsxiNode,
    private readonly group: Vmgroup,
    private readonly access: Awaited<ReturnType<typeof parseAccessLs>>,
  ) {
    this.id = `${parent.id}/${group.uuid}`;
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.group.name, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.iconPath = new vscode.ThemeIcon('group-by-ref-type');
    item.description = `default datastore ${this.group.defaultDatastore}`;
    item.tooltip = `${this.group.name} (${this.group.uuid})${this.group.description ? `\n\n${this.group.description}` : ''}`;
    item.contextValue = 'vdvs.vmgroup';
    return item;
  }

  async getChildren(): Promise<EsxiNode[]> {
    const vms =
      this.group.name === DEFAULT_TENANT_NAME && !this.group.vms.length
        ? [new EsxiMessageNode(`${this.id}/vm`, 'every VM not in another vmgroup', { parent: this, icon: 'vm' })]
        : this.group.vms.map((vm) => new EsxiMessageNode(`${this.id}/vm/${vm}`, vm, { parent: this, icon: 'vm', description: 'VM' }));
    const datastores = this.access.map(
      (a) =>
        new EsxiMessageNode(`${this.id}/ds/${a.datastore}`, a.datastore, {
          parent: this,
          icon: 'database',
          description: [
            a.allowCreate ? 'create' : 'mount only',
            `max volume ${a.maxVolumeSize ?? 'unset'}`,
            `total ${a.totalSize ?? 'unset'}`,
          ].join(' · '),
          tooltip: `Allow create: ${a.allowCreate ? 'True' : 'False'}\nMax volume size: ${a.maxVolumeSize ?? 'Unset'}\nTotal size: ${a.totalSize ?? 'Unset'}`,
        }),
    );
    return [...vms, ...datastores];
  }

  details(): unknown {
    return { ...this.group, access: this.access };
  }
}
