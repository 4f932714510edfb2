import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors';
import { BackupEntry, listBackups, transientName, volumeFolder } from './layout';
import { BackupMode } from './manifest';

export function checkRetain(retain: unknown): number {
  if (typeof retain !== 'number' || !Number.isInteger(retain) || retain < 1) {
    throw new UserError(
      `retain must be a whole number of backups to keep, 1 or more (got ${JSON.stringify(retain)}).`,
      'Set "retain" in the task or the job, e.g. "retain": 7.',
    );
  }
  return retain;
}

/**
 * Keeps exactly the `retain` newest good backups of a volume in one mode and removes the older ones
 * of that mode: archive and snapshot backups share the volume's folder but are counted apart, so a
 * job of one mode never prunes the other's. Each is
 * first renamed to `.<ts>.deleting` so a removal cut short never leaves a half-deleted folder that
 * still looks like a good backup. Leftovers are not counted and not touched here.
 */
export async function pruneBackups(
  destination: string,
  dockerHost: string,
  volume: string,
  mode: BackupMode,
  retain: number,
): Promise<BackupEntry[]> {
  checkRetain(retain);
  const { backups } = await listBackups(destination, dockerHost, volume);
  const folder = volumeFolder(destination, dockerHost, volume);
  const removed = backups.filter((b) => b.manifest.mode === mode).slice(retain);
  for (const backup of removed) {
    const doomed = join(folder, transientName(backup.timestamp, 'deleting'));
    await fs.rename(backup.dir, doomed);
    await fs.rm(doomed, { recursive: true, force: true });
  }
  return removed;
}
