import { promises as fs } from 'node:fs';
import { basename, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { UserError } from '../errors';
import { recreateOptions } from './dockerHelper';
import { syncDir } from './durableFs';
import { Hashed, streamToFile } from './hashing';
import { BackupEntry, listBackups, Leftover, timestampOf, transientName, volumeFolder } from './layout';
import { Manifest, MANIFEST_FILE, MANIFEST_FORMAT, ManifestFile, writeManifest } from './manifest';
import { BackupWriter, CommitInfo } from './store';
import { TOOL } from './tool';
import { formatBytes } from './progress';
import { ownerState, parseOwner, RunOwner } from './runOwner';

/** The run writing a partial backup (a RunOwner), so a later run can tell a crashed writer from a running one. */
const OWNER_FILE = 'owner.json';

/**
 * A backup being written: files go into `.<ts>.partial/`, and commit() writes the manifest, syncs
 * and renames the folder to `<ts>/` in one step. Until then listBackups() reports it as a leftover.
 */
export class PartialBackup implements BackupWriter {
  readonly files: ManifestFile[] = [];

  /** How much the volume needs here, for the message of a full destination (see expect()). */
  private needs?: { bytes: number; what: string };

  private constructor(
    readonly folder: string,
    readonly timestamp: string,
    readonly dir: string,
    private readonly volume: string,
  ) {}

  static async begin(destination: string, dockerHost: string, volume: string, owner: RunOwner, now = new Date()): Promise<PartialBackup> {
    const folder = volumeFolder(destination, dockerHost, volume);
    await fs.mkdir(folder, { recursive: true });
    // Two backups of one volume in the same millisecond: take the next free one.
    for (let t = now.getTime(); ; t++) {
      const timestamp = timestampOf(new Date(t));
      const dir = join(folder, transientName(timestamp, 'partial'));
      if (await exists(join(folder, timestamp))) continue;
      try {
        await fs.mkdir(dir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw err;
      }
      await fs.writeFile(join(dir, OWNER_FILE), JSON.stringify(owner));
      return new PartialBackup(folder, timestamp, dir, volume);
    }
  }

  get where(): string {
    return this.dir;
  }

  /** Next to the archive: removed with the folder (discard), or by commit. */
  async spoolDir(): Promise<string> {
    return this.dir;
  }

  /** Says how much the volume needs in the destination (`what`: how that was measured), for the message of a full disk. */
  expect(bytes: number, what: string): void {
    this.needs = { bytes, what };
  }

  async addStream(
    name: string,
    role: ManifestFile['role'],
    source: NodeJS.ReadableStream | Readable,
    options: { signal?: AbortSignal; transforms?: Transform[] } = {},
  ): Promise<ManifestFile> {
    return this.addWritten(name, role, (path) => streamToFile(source, path, options));
  }

  /** Adds a file that `write` creates at the path it is given, returning its size and sha256 (a download hashed behind the writer). */
  async addWritten(name: string, role: ManifestFile['role'], write: (path: string) => Promise<Hashed>): Promise<ManifestFile> {
    const file: ManifestFile = {
      name,
      role,
      ...(await write(join(this.dir, name)).catch((err: unknown) => this.rethrowNoSpace(err, name))),
    };
    this.files.push(file);
    return file;
  }

  /** A full destination, in the same words for both modes: the folder, the volume and what it needs. */
  private rethrowNoSpace(err: unknown, name: string): never {
    if ((err as NodeJS.ErrnoException)?.code !== 'ENOSPC') throw err;
    const needs = this.needs ? `, which needs about ${formatBytes(this.needs.bytes)} (${this.needs.what})` : '';
    throw new UserError(
      `${this.folder} ran out of space (ENOSPC) while writing ${name} of volume ${this.volume}${needs}.`,
      'Free space there or back up to another destination.',
      'NO_SPACE',
      { cause: err },
    );
  }

  /**
   * Writes the manifest (the files added so far, the tool, the times) and renames the folder: from
   * here on the backup is listed as good.
   */
  async commit(what: CommitInfo): Promise<BackupEntry> {
    const { name, driver, status } = what.volume;
    const options = recreateOptions(what.volume, what.pluginAlias);
    const full: Manifest = {
      format: MANIFEST_FORMAT,
      tool: TOOL,
      mode: what.source.kind,
      dockerHost: what.dockerHost,
      volume: { name, driver, options, ...(status ? { status } : {}) },
      source: what.source,
      startedAt: what.startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      totalBytes: this.files.reduce((n, f) => n + f.size, 0),
      files: this.files,
    };
    await fs.rm(join(this.dir, OWNER_FILE), { force: true });
    await writeManifest(this.dir, full).catch((err: unknown) => this.rethrowNoSpace(err, MANIFEST_FILE));
    await syncDir(this.dir);
    const finalDir = join(this.folder, this.timestamp);
    await fs.rename(this.dir, finalDir);
    await syncDir(this.folder);
    return { dir: finalDir, timestamp: this.timestamp, manifest: full };
  }

  async discard(): Promise<void> {
    await fs.rm(this.dir, { recursive: true, force: true });
  }
}

/**
 * Removes leftovers of one volume whose writer is gone (crashed, killed): partial backups and
 * interrupted retention removals. Call it holding the volume's lock: every other run that wrote
 * here has then ended or lost its lock as stale, so only a partial whose run provably still runs on
 * this machine (its owner record says so) is kept.
 */
export async function removeStaleLeftovers(destination: string, dockerHost: string, volume: string): Promise<Leftover[]> {
  const { leftovers } = await listBackups(destination, dockerHost, volume);
  const removed: Leftover[] = [];
  for (const leftover of leftovers) {
    if (!/^\..*\.(partial|deleting)$/.test(basename(leftover.dir))) continue;
    if (basename(leftover.dir).endsWith('.partial') && (await ownerRuns(leftover.dir))) continue;
    await fs.rm(leftover.dir, { recursive: true, force: true });
    removed.push(leftover);
  }
  return removed;
}

async function ownerRuns(dir: string): Promise<boolean> {
  let owner: RunOwner | undefined;
  try {
    owner = parseOwner(JSON.parse(await fs.readFile(join(dir, OWNER_FILE), 'utf8')));
  } catch {
    return false; // crashed before the owner file was written
  }
  return !!owner && ownerState(owner) === 'alive';
}

async function exists(path: string): Promise<boolean> {
  try {
    await fs.access(path);
    return true;
  } catch {
    return false;
  }
}
