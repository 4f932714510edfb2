import { basename, dirname } from 'node:path';
import * as vscode from 'vscode';
import { listAllBackups } from '../../../core/backup/layout';
import { readManifest, Manifest } from '../../../core/backup/manifest';
import { formatBytes } from '../../../core/backup/progress';
import { UserError } from '../../../core/errors';
import { backupDestination } from '../../tasks/backupSettings';
import { BackupNode } from '../../trees/volumes/backupNode';
import { Prompter } from '../../prompter';

export interface PickedBackup {
  dir: string;
  manifest: Manifest;
}

/**
 * The backup a command works on: the one of a backup node of the Volumes view (or `{ backupDir }`, a
 * path or a URI), else a pick among the good backups under vdvs.backup.destination (newest first).
 */
export async function pickBackup(arg: unknown, title: string, prompter: Prompter): Promise<PickedBackup | undefined> {
  const given = backupDirOf(arg);
  if (given) return { dir: given, manifest: await readManifest(given) };
  const destination = backupDestination();
  const all = await listAllBackups(destination);
  const items = all.flatMap((v) =>
    v.backups.map((b) => ({
      label: `${v.volume}`,
      description: `${b.timestamp} · ${b.manifest.mode} · ${formatBytes(b.manifest.totalBytes)}`,
      detail: `${v.dockerHost} — ${b.dir}`,
      value: { dir: b.dir, manifest: b.manifest },
    })),
  );
  if (!items.length) {
    throw new UserError(
      `No backups in ${destination}.`,
      'Run a vdvs-backup task first (Terminal > Run Task > vDVS), or set vdvs.backup.destination to the folder that holds them.',
      'NO_BACKUPS',
    );
  }
  const pick = await prompter.pick({ id: 'backup', title, step: 1, totalSteps: 1, placeholder: 'Backup to use', items });
  return typeof pick === 'object' ? pick : undefined;
}

function backupDirOf(arg: unknown): string | undefined {
  if (arg instanceof vscode.Uri) return arg.fsPath;
  if (typeof arg === 'string') return arg;
  if (arg instanceof BackupNode) return arg.entry.dir;
  if (arg && typeof arg === 'object' && typeof (arg as { backupDir?: unknown }).backupDir === 'string')
    return (arg as { backupDir: string }).backupDir;
  return undefined;
}

/** "vol1 of 2024-05-01T12-30-05-123Z" */
export function backupLabel(dir: string): string {
  return `${basename(dirname(dir))} of ${basename(dir)}`;
}
