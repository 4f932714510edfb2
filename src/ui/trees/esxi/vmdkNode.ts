import * as vscode from 'vscode';
import { formatDatastorePath } from '../../../core/vsphere/datastorePath';
import { DockvolsVmdk } from '../../../core/vsphere/datastoreBrowser';
import { formatBytes } from '../volumes/format';
import { EsxiNode } from './esxiNode';
import { HostScope } from './scope';

/** A vDVS volume's VMDK: provisioned size, size on disk, format, and the VM it is attached to. */
export class VmdkNode implements EsxiNode {
  readonly id: string;
  readonly datastorePath: string;
  readonly govc;

  constructor(
    readonly parent: EsxiNode,
    readonly scope: HostScope,
    readonly vmdk: DockvolsVmdk,
  ) {
    this.id = `${parent.id}/${vmdk.name}`;
    this.datastorePath = formatDatastorePath(vmdk.location);
    this.govc = { kind: 'vmdk', datacenter: scope.datacenter, location: vmdk.location } as const;
  }

  getTreeItem(): vscode.TreeItem {
    const v = this.vmdk;
    const item = new vscode.TreeItem(v.name.replace(/\.vmdk$/i, ''), vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    const attached = v.attachedTo ? `attached to ${v.attachedTo.vm.name} (${v.attachedTo.disk.diskMode})` : 'detached';
    item.description = [sizeText(v), format(v), attached].filter(Boolean).join(' · ');
    item.tooltip = new vscode.MarkdownString(
      [
        `**${this.datastorePath}**`,
        `Provisioned: ${provisioned(v) ?? 'unknown'}`,
        `On disk: ${v.fileSize !== undefined ? formatBytes(v.fileSize) : 'unknown'}`,
        `Format: ${format(v) ?? 'unknown'}`,
        v.attachedTo
          ? `Attached to **${v.attachedTo.vm.name}** as ${v.attachedTo.disk.label}, ${v.attachedTo.disk.diskMode}${v.attachedTo.disk.independent ? ' (skipped by VM snapshots)' : ''}`
          : 'Not attached to a VM',
      ].join('\n\n'),
    );
    item.iconPath = new vscode.ThemeIcon(v.attachedTo ? 'plug' : 'file-binary');
    item.contextValue = 'vdvs.esxi.vmdk';
    return item;
  }

  details(): unknown {
    const { attachedTo, ...file } = this.vmdk;
    return {
      ...file,
      datastorePath: this.datastorePath,
      attachedTo: attachedTo && {
        vm: attachedTo.vm.name,
        disk: attachedTo.disk.label,
        diskMode: attachedTo.disk.diskMode,
        independent: attachedTo.disk.independent,
      },
    };
  }
}

function provisioned(v: DockvolsVmdk): string | undefined {
  return v.capacityKb !== undefined
    ? formatBytes(v.capacityKb * 1024)
    : v.attachedTo
      ? formatBytes(v.attachedTo.disk.capacityBytes)
      : undefined;
}

function sizeText(v: DockvolsVmdk): string | undefined {
  const p = provisioned(v);
  const used = v.fileSize !== undefined ? formatBytes(v.fileSize) : undefined;
  // "on disk" as the Volumes view says: vcsim reports the descriptor's size only, ESXi includes the extents
  return p && used ? `${p} (${used} on disk)` : (p ?? (used && `${used} on disk`));
}

function format(v: DockvolsVmdk): string | undefined {
  if (v.diskType) return v.thin ? `${v.diskType}, thin` : v.diskType;
  const thin = v.thin ?? v.attachedTo?.disk.thin;
  return thin === undefined ? undefined : thin ? 'thin' : 'thick';
}
