import * as vscode from 'vscode';
import { VmDisk, VmInfo } from '../../../core/vsphere/inventory';
import { formatBytes } from '../volumes/format';
import { EsxiNode } from './esxiNode';
import { HostScope } from './scope';

/** A virtual disk of a VM; vDVS disks (backing under dockvols/) are marked, independent ones flagged. */
export class DiskNode implements EsxiNode {
  readonly id: string;
  readonly datastorePath?: string;
  readonly govc;

  constructor(
    readonly parent: EsxiNode,
    readonly scope: HostScope,
    readonly vm: VmInfo,
    readonly disk: VmDisk,
  ) {
    this.id = `${parent.id}/disk/${disk.key}`;
    this.datastorePath = disk.fileName || undefined;
    this.govc = { kind: 'disk', datacenter: scope.datacenter, vm: vm.name, label: disk.label } as const;
  }

  getTreeItem(): vscode.TreeItem {
    const d = this.disk;
    const item = new vscode.TreeItem(d.label, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    // vDVS labels every disk it attaches "dockerDataVolume": the volume's name tells them apart
    item.description = [formatBytes(d.capacityBytes), d.diskMode, d.isVdvs ? `vDVS volume ${volumeName(d.fileName)}` : undefined]
      .filter(Boolean)
      .join(' · ');
    item.tooltip = new vscode.MarkdownString(
      [
        `**${d.label}** of ${this.vm.name}`,
        `Backing: \`${d.fileName}\``,
        `Capacity: ${formatBytes(d.capacityBytes)}${d.thin === undefined ? '' : d.thin ? ', thin' : ', thick'}`,
        `Disk mode: ${d.diskMode}${d.independent ? ' — independent disks are skipped by VM snapshots, so snapshot backups do not include them' : ''}`,
      ].join('\n\n'),
    );
    item.iconPath = new vscode.ThemeIcon(d.independent ? 'warning' : d.isVdvs ? 'package' : 'circle-outline');
    item.contextValue = d.isVdvs ? 'vdvs.esxi.disk.vdvs' : 'vdvs.esxi.disk';
    return item;
  }

  details(): unknown {
    return { vm: this.vm.name, ...this.disk };
  }
}

/** `[ds] dockvols/<tenant>/vol.vmdk` → `vol`. */
function volumeName(fileName: string): string {
  return fileName.replace(/^.*\//, '').replace(/\.vmdk$/i, '');
}
