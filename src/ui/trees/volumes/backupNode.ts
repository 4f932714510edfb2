import * as vscode from 'vscode';
import type { VolumeNode } from './volumeNode';
import { repositoryOfRef } from '../../../core/backup/backupStores';
import { BackupEntry } from '../../../core/backup/layout';
import { ResticStore } from '../../../core/backup/restic/resticStore';
import { VolumeRow } from '../../../core/vdvs/correlate';
import { errorMessage } from '../../../core/errors';
import { backupStores } from '../../backupStores';
import { Services } from '../../services';
import { formatBytes } from './format';

/** Good backups of the destination folder by `<docker host>/<volume>` as the backup jobs name them. */
export type BackupIndex = Map<string, BackupEntry[]>;

/**
 * Reads the vdvs.backup.destination folder and each repository; a missing or unreadable one is no
 * backups (a repository's failure is logged).
 */
export async function loadBackupIndex(services: Services): Promise<BackupIndex> {
  const index: BackupIndex = new Map();
  for (const store of await backupStores(services)) {
    try {
      for (const v of await store.listAll()) {
        const key = `${v.dockerHost}/${v.volume}`;
        if (v.backups.length) index.set(key, [...(index.get(key) ?? []), ...v.backups]);
      }
    } catch (err) {
      // a folder not created yet is no backups; a repository that cannot be read is worth a line in the log
      if (store instanceof ResticStore) services.log.warn(`backups of ${store.label} not listed: ${errorMessage(err)}`);
    }
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
    const repository = repositoryOfRef(this.entry.dir);
    item.description = `${m.mode} · ${formatBytes(m.totalBytes)} · ${m.dockerHost}${repository ? ` · restic ${repository}` : ''}`;
    item.contextValue = 'vdvs.volumes.backup';
    item.iconPath = new vscode.ThemeIcon('archive');
    item.tooltip = `${m.mode} backup of ${m.volume.name} from ${m.dockerHost}\n${this.entry.dir}\n${m.files.map((f) => `${f.name} ${formatBytes(f.size)} sha256 ${f.sha256.slice(0, 12)}…`).join('\n')}`;
    if (!repository) item.resourceUri = vscode.Uri.file(this.entry.dir);
    return item;
  }
}
