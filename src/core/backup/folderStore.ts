import { join } from 'node:path';
import { openRegularFile } from './hashing';
import { listAllBackups, listBackups, volumeFolderNames } from './layout';
import { BackupMode, readManifest } from './manifest';
import { PartialBackup, removeStaleLeftovers } from './partialBackup';
import { pruneBackups } from './retention';
import { RunOwner } from './runOwner';
import { BackupStore, StoredBackup } from './store';
import { verifyBackup } from './verify';

/** A folder as a backup store: `<destination>/<docker host>/<volume>/<timestamp>/` (layout.ts). */
export class FolderStore implements BackupStore {
  constructor(readonly destination: string) {}

  get label(): string {
    return this.destination;
  }

  get lockRoot(): string {
    return this.destination;
  }

  begin(dockerHost: string, volume: string, _mode: BackupMode, owner: RunOwner, startedAt: Date) {
    return PartialBackup.begin(this.destination, dockerHost, volume, owner, startedAt);
  }

  list(dockerHost: string, volume: string) {
    return listBackups(this.destination, dockerHost, volume);
  }

  listAll() {
    return listAllBackups(this.destination);
  }

  volumeNames(dockerHost: string) {
    return volumeFolderNames(this.destination, dockerHost);
  }

  prune(dockerHost: string, volume: string, mode: BackupMode, retain: number): Promise<string[]> {
    return pruneBackups(this.destination, dockerHost, volume, mode, retain).then((removed) => removed.map((b) => b.dir));
  }

  removeStaleLeftovers(dockerHost: string, volume: string) {
    return removeStaleLeftovers(this.destination, dockerHost, volume);
  }

  open(dir: string): Promise<StoredBackup> {
    return openFolderBackup(dir);
  }
}

/** A backup folder: files read without following symlinks; every hash checked before a restore. */
export async function openFolderBackup(dir: string): Promise<StoredBackup> {
  const manifest = await readManifest(dir);
  return {
    where: dir,
    manifest,
    read: (file) => openRegularFile(join(dir, file.name)),
    verify: (options) => verifyBackup(dir, options),
    checkBeforeRestore: (options) => verifyBackup(dir, options),
  };
}
