import * as vscode from 'vscode';
import type { VolumeNode } from './volumeNode';
import { VolumeRow } from '../../../core/vdvs/correlate';
import { formatBytes } from './format';

/** The VMDK behind a volume, from the ESXi side. */
export class VmdkNode {
  readonly kind = 'vmdk';
  constructor(
    readonly parent: VolumeNode,
    readonly row: VolumeRow,
  ) {}

  get id(): string {
    return `${this.parent.id}/vmdk`;
  }

  getTreeItem(): vscode.TreeItem {
    const vmdk = this.row.vmdk!;
    const item = new vscode.TreeItem(vmdk.path, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    const parts = [
      vmdk.sizeOnDiskBytes !== undefined ? `${formatBytes(vmdk.sizeOnDiskBytes)} on disk` : undefined,
      this.row.vmDisk ? `attached to ${this.row.vmDisk.vm} as ${this.row.vmDisk.diskMode}` : 'not attached',
    ];
    item.description = parts.filter(Boolean).join(' · ');
    item.contextValue = 'vdvs.volumes.vmdk';
    item.iconPath = new vscode.ThemeIcon('file-binary');
    item.command = { command: 'vdvs.volume.revealVmdk', title: 'Reveal in ESXi Hosts', arguments: [this] };
    return item;
  }
}
