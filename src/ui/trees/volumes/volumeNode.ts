import * as vscode from 'vscode';
import { DockerVolumeEntry, VolumeRow } from '../../../core/vdvs/correlate';
import { BackupEntry } from '../../../core/backup/layout';
import { BackupNode } from './backupNode';
import { ContainerNode } from './containerNode';
import { formatBytes } from './format';
import type { GroupNode } from './groupNode';
import { VmdkNode } from './vmdkNode';

/**
 * One vDVS volume, joined across Docker hosts and the ESXi side. The icon is the backup badge:
 * a check when VM snapshots include it, a warning when they skip it, an error for orphans.
 */
export class VolumeNode {
  readonly kind = 'volume';
  constructor(
    readonly parent: GroupNode,
    readonly row: VolumeRow,
    readonly backups: BackupEntry[] = [],
  ) {}

  get id(): string {
    return `${this.parent.id}/volume:${this.row.key}${this.row.orphan === 'no-docker-host' && this.row.vmdk ? `#${this.row.vmdk.path}` : ''}`;
  }

  /** The Docker hosts that list this volume; under a Docker host group (the toggle), only that host. */
  get listedBy(): DockerVolumeEntry[] {
    const hostGroup = 'group:host:';
    if (!this.parent.id.startsWith(hostGroup)) return this.row.docker;
    const hostName = this.parent.id.slice(hostGroup.length);
    return this.row.docker.filter((d) => d.hostName === hostName);
  }

  /**
   * vdvs.volume plus flags the menus match with positive regexes, in this order:
   * .listed (a Docker host lists it) .free/.inUse (containers) .hasVmdk .orphanVmdk .missingVmdk
   */
  get contextValue(): string {
    const r = this.row;
    const flags = [
      r.docker.length ? 'listed' : undefined,
      r.containers.length ? 'inUse' : 'free',
      r.vmdk ? 'hasVmdk' : undefined,
      r.orphan === 'no-docker-host' ? 'orphanVmdk' : undefined,
      r.orphan === 'vmdk-missing' ? 'missingVmdk' : undefined,
    ];
    return ['vdvs.volume', ...flags.filter(Boolean)].join('.');
  }

  getChildren(): Array<ContainerNode | VmdkNode | BackupNode> {
    const out: Array<ContainerNode | VmdkNode | BackupNode> = this.row.containers.map(
      (c) => new ContainerNode(this, c.hostName, c.container),
    );
    if (this.row.vmdk) out.push(new VmdkNode(this, this.row));
    out.push(...this.backups.map((b) => new BackupNode(this, b)));
    return out;
  }

  getTreeItem(): vscode.TreeItem {
    const r = this.row;
    const f = r.facts;
    const item = new vscode.TreeItem(
      r.key,
      r.containers.length || r.vmdk || this.backups.length
        ? vscode.TreeItemCollapsibleState.Collapsed
        : vscode.TreeItemCollapsibleState.None,
    );
    item.id = this.id;
    item.contextValue = this.contextValue;
    if (r.orphan === 'no-docker-host') {
      item.description = `orphan VMDK: no Docker host lists it${r.vmdk?.sizeOnDiskBytes !== undefined ? ` · ${formatBytes(r.vmdk.sizeOnDiskBytes)} on disk` : ''}`;
      item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground'));
    } else {
      const attached = f.attachedToVm ? `attached to ${f.attachedToVm}` : f.status;
      item.description = [
        f.size,
        f.diskformat,
        f.attachAs,
        f.access,
        attached,
        r.containers.length ? `${r.containers.length} container${r.containers.length === 1 ? '' : 's'}` : undefined,
        r.orphan === 'vmdk-missing' ? 'VMDK MISSING' : undefined,
      ]
        .filter(Boolean)
        .join(' · ');
      item.iconPath =
        r.orphan === 'vmdk-missing'
          ? new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground'))
          : r.backup.includedInVmSnapshots
            ? new vscode.ThemeIcon('pass-filled', new vscode.ThemeColor('testing.iconPassed'))
            : new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
    }
    item.tooltip = this.tooltip();
    return item;
  }

  private tooltip(): vscode.MarkdownString {
    const r = this.row;
    const f = r.facts;
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`**${r.key}**\n\n`);
    if (r.orphan === 'no-docker-host')
      md.appendMarkdown(
        '$(error) **Orphan VMDK**: it is in dockvols but no configured Docker host lists it. Add the Docker host that uses it, or delete its files once you are sure nobody does.\n\n',
      );
    if (r.orphan === 'vmdk-missing')
      md.appendMarkdown(
        '$(error) **VMDK missing**: Docker lists this volume but its VMDK is not in dockvols. Its data is gone unless a backup has it.\n\n',
      );
    const facts: Array<[string, string | undefined]> = [
      ['Size', f.size && f.allocated ? `${f.size} (allocated ${f.allocated})` : f.size],
      ['Disk format', f.diskformat],
      ['Attach as', f.attachAs],
      ['Access', f.access],
      ['File system', f.fstype],
      ['Status', f.status],
      ['Attached to VM', f.attachedToVm],
      ['Created', f.created && f.createdByVm ? `${f.created} by ${f.createdByVm}` : f.created],
      ['Cloned from', f.cloneFrom],
      ['vSAN policy', f.vsanPolicy],
      ['Docker hosts', r.docker.map((d) => d.hostName).join(', ') || undefined],
      ['Containers', r.containers.map((c) => `${c.container} (${c.hostName})`).join(', ') || undefined],
      [
        'VMDK',
        r.vmdk
          ? `${r.vmdk.path}${r.vmdk.sizeOnDiskBytes !== undefined ? `, ${formatBytes(r.vmdk.sizeOnDiskBytes)} on disk` : ''}`
          : undefined,
      ],
      ['Disk mode', r.vmDisk ? `${r.vmDisk.diskMode} on ${r.vmDisk.vm}` : undefined],
    ];
    for (const [k, v] of facts) if (v) md.appendMarkdown(`${k}: \`${v}\`  \n`);
    if (r.orphan !== 'no-docker-host') {
      md.appendMarkdown(
        `\n${r.backup.includedInVmSnapshots ? '$(pass-filled)' : '$(warning)'} **${r.backup.summary}.** ${r.backup.reason}`,
      );
      if (r.backup.wayOut) md.appendMarkdown(`\n\n**Way out:** ${r.backup.wayOut}`);
    }
    return md;
  }
}
