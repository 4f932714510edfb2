import * as vscode from 'vscode';
import { BackupEntry } from '../../../core/backup/layout';
import { VolumeRow } from '../../../core/vdvs/correlate';
import { VolumeNode } from './volumeNode';

/** A datastore or a Docker host, depending on the grouping toggle. */
export class GroupNode {
  readonly kind = 'group';
  readonly parent = undefined;
  constructor(
    readonly by: 'datastore' | 'host',
    readonly label: string | undefined,
    readonly rows: VolumeRow[],
    private readonly backupsOf: (row: VolumeRow) => BackupEntry[],
  ) {}

  get id(): string {
    return `group:${this.by}:${this.label ?? ''}`;
  }

  getChildren(): VolumeNode[] {
    return this.rows.map((r) => new VolumeNode(this, r, this.backupsOf(r)));
  }

  getTreeItem(): vscode.TreeItem {
    const none = this.by === 'datastore' ? 'Datastore unknown' : 'No Docker host lists these';
    const item = new vscode.TreeItem(this.label ?? none, vscode.TreeItemCollapsibleState.Expanded);
    item.id = this.id;
    item.contextValue = `vdvs.volumes.group.${this.by}`;
    item.iconPath = new vscode.ThemeIcon(this.by === 'datastore' ? 'database' : 'server');
    const skipped = this.rows.filter((r) => !r.backup.includedInVmSnapshots && !r.orphan).length;
    item.description = `${this.rows.length} volume${this.rows.length === 1 ? '' : 's'}${skipped ? `, ${skipped} skipped by VM snapshots` : ''}`;
    return item;
  }
}
