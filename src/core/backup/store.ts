import { Readable, Transform } from 'node:stream';
import { Hashed } from './hashing';
import { BackupEntry, BackupListing, Leftover, VolumeBackups } from './layout';
import { ArchiveSource, BackupMode, Manifest, ManifestFile, ManifestVolume, SnapshotSource } from './manifest';
import { Progress } from './progress';
import { RunOwner } from './runOwner';
import { VerifyReport } from './verify';

/**
 * Where backups are kept: a folder (folderStore.ts, `<destination>/<host>/<volume>/<ts>/`) or a restic
 * repository (restic/resticStore.ts). The modes, retention, restore and verify work through this, so
 * both keep the same promises: a backup is listed as good only once its manifest is stored, a run cut
 * short leaves only leftovers that the next run removes, retention counts one mode of one volume.
 */
export interface BackupStore {
  /** The folder, or the repository with any password in it masked: what messages show. */
  readonly label: string;
  /** A folder on this machine that holds the volume locks of the runs writing here. */
  readonly lockRoot: string;
  begin(dockerHost: string, volume: string, mode: BackupMode, owner: RunOwner, startedAt: Date): Promise<BackupWriter>;
  list(dockerHost: string, volume: string): Promise<BackupListing>;
  listAll(): Promise<VolumeBackups[]>;
  /** The volumes of one Docker host that have backups or leftovers here. */
  volumeNames(dockerHost: string): Promise<string[]>;
  /** Keeps the `retain` newest good backups of a volume in one mode; returns the `dir`s of the removed ones. */
  prune(dockerHost: string, volume: string, mode: BackupMode, retain: number): Promise<string[]>;
  /** Removes what dead runs left for one volume (call it holding the volume's lock). */
  removeStaleLeftovers(dockerHost: string, volume: string): Promise<Leftover[]>;
  /** A good backup by the `dir` of its entry. */
  open(dir: string): Promise<StoredBackup>;
}

/** A backup being written: files are added, then commit() stores the manifest that makes it good. */
export interface BackupWriter {
  /** Where it is written, for messages. */
  readonly where: string;
  /** A local folder for the sparse-file spool of an archive (removed with the writer). */
  spoolDir(): Promise<string>;
  /** How much the volume needs in the store (`what`: how that was measured), for the message of a full one. */
  expect(bytes: number, what: string): void;
  addStream(
    name: string,
    role: ManifestFile['role'],
    source: NodeJS.ReadableStream | Readable,
    options?: { signal?: AbortSignal; transforms?: Transform[] },
  ): Promise<ManifestFile>;
  /** A folder only: adds a file `write` creates at a path (parallel ranged downloads write at offsets). */
  addWritten?: (name: string, role: ManifestFile['role'], write: (path: string) => Promise<Hashed>) => Promise<ManifestFile>;
  commit(what: CommitInfo): Promise<BackupEntry>;
  discard(): Promise<void>;
}

export interface CommitInfo {
  dockerHost: string;
  pluginAlias?: string;
  volume: ManifestVolume;
  source: ArchiveSource | SnapshotSource;
  startedAt: Date;
}

/** A good backup opened for restore or verify. */
export interface StoredBackup {
  /** Where it is, for messages (a folder, or `<repository>#<run id>`). */
  readonly where: string;
  readonly manifest: Manifest;
  /** The bytes of one listed file, as stored (not yet checked against its hash). */
  read(file: ManifestFile, signal?: AbortSignal): Promise<Readable>;
  /** Every file's hash recomputed (and the store's own check), each difference reported. */
  verify(options?: { signal?: AbortSignal; onProgress?: (p: Progress) => void }): Promise<VerifyReport>;
  /** Before a restore: what must hold for its files to be read (a folder: every hash; a repository: restic check). */
  checkBeforeRestore(options?: { signal?: AbortSignal; onProgress?: (p: Progress) => void }): Promise<VerifyReport>;
}
