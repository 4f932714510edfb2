import * as vscode from 'vscode';
import type { VolumeNode } from './volumeNode';
import { BackupEntry, listAllBackups } from '../../../core/backup/layout';
import { VolumeRow } from '../../../core/vdvs/correlate';
import { backupDestination } from '../../tasks/backupSettings';
import { formatBytes } from './format';

/** Good backups of the destination folder by `<docker host>/<volume>` as the backup jobs name them. */
export type BackupIndex = Map<string, BackupEntry[]>;

/** Reads the vdvs.backup.destination folder; a missing or unreadable one is no backups. */
export async function loadBackupIndex(): Promise<BackupIndex> {
  const index: BackupIndex = new Map();
  try {
    for (const v of await listAllBackups(backupDestination())) if (v.backups.length) index.set(`${v.dockerHost}/${v.volume}`, v.backups);
  } catch {
    // no destination configured or readable yet
  }
  return index;
}

/** A row's backups, newest first: jobs name a volume short or as vol@ds, per Docker host. */
export function backupsOf(index: BackupIndex, row: VolumeRow): BackupEntry[] {
  const found = new Map<string, BackupEntry>();
  for (const d of row.docker) {
    for (const name of new Set([d.name, row.key, row.volume]))
      for (const b of index.get(`${d.hostName}/${name}`) ?? []) found.set(b.dir, b);
  }
  return [...found.values()].sort((a, b) => (a.timestamp < b.timestamp ? 1 : a.timestamp > b.timestamp ? -1 : 0));
}

/** One good backup of the volume (manifest written, hashes recorded). */
export class BackupNode {
  readonly kind = 'backup';
  constructor(
    readonly parent: VolumeNode,
    readonly entry: BackupEntry,
  ) {}

  get id(): string {
    return `${this.parent.id}/backup:${this.entry.dir}`;
  }

  getTreeItem(): vscode.TreeItem {
    const m = this.entry.manifest;
    const item = new vscode.TreeItem(`backup ${new Date(m.finishedAt).toLocaleString()}`, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.description = `${m.mode} · ${formatBytes(m.totalBytes)} · ${m.dockerHost}`;
    item.contextValue = 'vdvs.volumes.backup';
    item.iconPath = new vscode.ThemeIcon('archive');
    item.tooltip = `${m.mode} backup of ${m.volume.name} from ${m.dockerHost}\n${this.entry.dir}\n${m.files.map((f) => `${f.name} ${formatBytes(f.size)} sha256 ${f.sha256.slice(0, 12)}…`).join('\n')}`;
    item.resourceUri = vscode.Uri.file(this.entry.dir);
    return item;
  }
}
