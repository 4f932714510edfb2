import * as vscode from 'vscode';
import { listVmDisks, VmInfo } from '../../../core/vsphere/inventory';
import { DiskNode } from './diskNode';
import { childrenOrError, EsxiNode } from './esxiNode';
import { HostScope } from './scope';

const POWER_ICONS: Record<string, string> = { poweredOn: 'vm-running', poweredOff: 'vm-outline', suspended: 'debug-pause' };

/** A VM (typically a Docker host): power state and guest identity; its children are its disks. */
export class VmNode implements EsxiNode {
  readonly id: string;
  readonly govc;

  constructor(
    readonly parent: EsxiNode,
    readonly scope: HostScope,
    readonly vm: VmInfo,
  ) {
    this.id = `${parent.id}/${vm.ref.value}`;
    this.govc = { kind: 'vm', datacenter: scope.datacenter, vm: vm.name } as const;
  }

  getTreeItem(): vscode.TreeItem {
    const vm = this.vm;
    const item = new vscode.TreeItem(vm.name, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.description = [vm.powerState, vm.guestHostName, vm.guestIp].filter(Boolean).join(' · ');
    item.tooltip = `${vm.name}\n${vm.powerState}${vm.guestHostName ? `\nGuest: ${vm.guestHostName}` : ''}${vm.guestIp ? ` (${vm.guestIp})` : ''}${vm.vmPathName ? `\n${vm.vmPathName}` : ''}`;
    item.iconPath = new vscode.ThemeIcon(POWER_ICONS[vm.powerState] ?? 'vm');
    item.contextValue = 'vdvs.esxi.vm';
    return item;
  }

  getChildren(): Promise<EsxiNode[]> {
    return childrenOrError(
      this,
      async () => {
        const disks = await listVmDisks(await this.scope.session(), this.vm.ref);
        return disks.map((d) => new DiskNode(this, this.scope, this.vm, d));
      },
      'No virtual disks',
    );
  }

  details(): unknown {
    return this.vm;
  }
}
