import { basename, dirname } from 'node:path';
import * as vscode from 'vscode';
import { formatBytes } from '../../../core/backup/progress';
import { StoredBackup } from '../../../core/backup/store';
import { UserError } from '../../../core/errors';
import { backupStores, storeOfBackup } from '../../backupStores';
import { Services } from '../../services';
import { BackupNode } from '../../trees/volumes/backupNode';
import { Prompter } from '../../prompter';

/**
 * The backup a command works on: the one of a backup node of the Volumes view (or `{ backupDir }`, a
 * path, a URI or a repository's `<repository>#…`), else a pick among the good backups of the
 * vdvs.backup.destination folder and the vdvs.backup.repositories (newest first).
 */
export async function pickBackup(services: Services, arg: unknown, title: string, prompter: Prompter): Promise<StoredBackup | undefined> {
  const given = backupDirOf(arg);
  if (given) return (await storeOfBackup(services, given)).open(given);
  const stores = await backupStores(services);
  const items = (
    await Promise.all(
      stores.map(async (store) =>
        (await store.listAll()).flatMap((v) =>
          v.backups.map((b) => ({
            label: `${v.volume}`,
            description: `${b.timestamp} · ${b.manifest.mode} · ${formatBytes(b.manifest.totalBytes)}`,
            detail: `${v.dockerHost} — ${b.dir}`,
            value: { store, dir: b.dir },
          })),
        ),
      ),
    )
  ).flat();
  if (!items.length) {
    throw new UserError(
      `No backups in ${stores.map((s) => s.label).join(' or ')}.`,
      'Run a vdvs-backup task first (Terminal > Run Task > vDVS), or set vdvs.backup.destination to the folder that holds them.',
      'NO_BACKUPS',
    );
  }
  const pick = await prompter.pick({ id: 'backup', title, step: 1, totalSteps: 1, placeholder: 'Backup to use', items });
  return typeof pick === 'object' ? pick.store.open(pick.dir) : undefined;
}

function backupDirOf(arg: unknown): string | undefined {
  if (arg instanceof vscode.Uri) return arg.fsPath;
  if (typeof arg === 'string') return arg;
  if (arg instanceof BackupNode) return arg.entry.dir;
  if (arg && typeof arg === 'object' && typeof (arg as { backupDir?: unknown }).backupDir === 'string')
    return (arg as { backupDir: string }).backupDir;
  return undefined;
}

/** "vol1 of 2024-05-01T12-30-05-123Z" (a repository's backup: "vol1 of 2024-05-01T12-30-05-123Z.<run>") */
export function backupLabel(dir: string): string {
  return `${basename(dirname(dir))} of ${basename(dir)}`;
}
