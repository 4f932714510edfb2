import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors';
import { Manifest, MANIFEST_FILE, readManifest } from './manifest';

/**
 * Where backups live: `<destination>/<docker host>/<volume>/<timestamp>/`. A backup is written into
 * `.<timestamp>.partial` next to it and renamed when complete, so a directory with a plain timestamp
 * name and a readable manifest is a good backup, and anything else is never offered for restore.
 */

/** `2024-05-01T12-30-05-123Z`: ISO time with `:`/`.` replaced so it is a portable file name that sorts by time. */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$/;
const LEFTOVER = /^\.(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z)\.(partial|deleting)$/;

export function timestampOf(date: Date): string {
  return date.toISOString().replace(/[:.]/g, '-');
}

export function dateOfTimestamp(ts: string): Date {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})-(\d{3})Z$/.exec(ts);
  if (!m) throw new UserError(`'${ts}' is not a backup timestamp.`, 'Backup folders are named like 2024-05-01T12-30-05-123Z.');
  return new Date(`${m[1]}T${m[2]}:${m[3]}:${m[4]}.${m[5]}Z`);
}

/** The name a backup has while it is written (`partial`) or while retention removes it (`deleting`). */
export function transientName(ts: string, state: 'partial' | 'deleting'): string {
  return `.${ts}.${state}`;
}

/** A host or volume name used as one path segment: refuse what would escape the destination. */
export function pathSegment(what: string, name: string): string {
  if (!name || name === '.' || name === '..' || /[/\\\0]/.test(name)) {
    throw new UserError(
      `The ${what} name '${name}' cannot be used as a folder name.`,
      `A ${what} name must not be empty, '.' or '..', nor contain '/' or '\\'.`,
    );
  }
  return name;
}

export function volumeFolder(destination: string, dockerHost: string, volume: string): string {
  return join(destination, pathSegment('Docker host', dockerHost), pathSegment('volume', volume));
}

export interface BackupEntry {
  dir: string;
  timestamp: string;
  manifest: Manifest;
}

export interface Leftover {
  dir: string;
  /** Why it is not a good backup. */
  reason: string;
}

export interface BackupListing {
  /** Good backups, newest first. */
  backups: BackupEntry[];
  /** The tool's own unfinished folders (`.<ts>.partial`, `.<ts>.deleting`): never restored; the next run removes those of dead runs. */
  leftovers: Leftover[];
  /** Backup folders whose manifest cannot be read: written by the tool, now damaged; never restored, for the user to look at. */
  damaged: Leftover[];
  /** Folders named like a backup but holding no manifest: not written by the tool, so never touched. */
  ignored: string[];
}

/** The backups of one volume. A missing folder is simply no backups. */
export async function listBackups(destination: string, dockerHost: string, volume: string): Promise<BackupListing> {
  const folder = volumeFolder(destination, dockerHost, volume);
  const listing: BackupListing = { backups: [], leftovers: [], damaged: [], ignored: [] };
  for (const name of await readDirNames(folder)) {
    const dir = join(folder, name);
    const leftover = LEFTOVER.exec(name);
    if (leftover) {
      listing.leftovers.push({
        dir,
        reason:
          leftover[2] === 'partial'
            ? 'unfinished backup (interrupted or still running)'
            : 'backup being removed by retention (interrupted)',
      });
    } else if (TIMESTAMP.test(name)) {
      try {
        listing.backups.push({ dir, timestamp: name, manifest: await readManifest(dir) });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') listing.ignored.push(dir);
        else listing.damaged.push({ dir, reason: `no valid ${MANIFEST_FILE}: ${err instanceof Error ? err.message : String(err)}` });
      }
    }
  }
  listing.backups.sort((a, b) => (a.timestamp < b.timestamp ? 1 : a.timestamp > b.timestamp ? -1 : 0));
  return listing;
}

export interface VolumeBackups extends BackupListing {
  dockerHost: string;
  volume: string;
}

/** Every volume folder under a destination, for `vdvs ls` and the Restore picker. */
export async function listAllBackups(destination: string): Promise<VolumeBackups[]> {
  const all: VolumeBackups[] = [];
  for (const dockerHost of await readDirNames(destination)) {
    if (dockerHost.startsWith('.')) continue;
    for (const volume of await volumeFolderNames(destination, dockerHost)) {
      const listing = await listBackups(destination, dockerHost, volume);
      if (listing.backups.length || listing.leftovers.length || listing.damaged.length || listing.ignored.length)
        all.push({ dockerHost, volume, ...listing });
    }
  }
  return all;
}

/** The volume folders of one Docker host under a destination (with backups or not). */
export async function volumeFolderNames(destination: string, dockerHost: string): Promise<string[]> {
  return (await readDirNames(join(destination, pathSegment('Docker host', dockerHost)))).filter((name) => !name.startsWith('.'));
}

async function readDirNames(dir: string): Promise<string[]> {
  try {
    const entries = await fs.readdir(dir, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory()).map((e) => e.name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}
