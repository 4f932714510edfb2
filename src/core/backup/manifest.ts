import { constants as fsConstants, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors';

/** What a backup holds and where it came from; `manifest.json` in the backup folder. */
export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_FORMAT = 1;

export type BackupMode = 'archive' | 'snapshot';
export type Compression = 'none' | 'gzip';

export interface ManifestFile {
  /** File name inside the backup folder (no folders). */
  name: string;
  size: number;
  sha256: string;
  /** archive: the tar; snapshot: the VMDK descriptor, its flat extent, the vDVS metadata sidecar. */
  role: 'archive' | 'descriptor' | 'flat' | 'sidecar';
}

export interface ManifestVolume {
  name: string;
  driver: string;
  /** The `-o` options to create an equivalent volume on restore (vDVS: size, diskformat, attach-as…). */
  options: Record<string, string>;
  /** `docker volume inspect` Status at backup time, for the record. */
  status?: Record<string, unknown>;
}

export interface ArchiveSource {
  kind: 'archive';
  helperImage: string;
  compression: Compression;
  /** Containers stopped during the backup (and started again). */
  stoppedContainers: string[];
  /** Size of the uncompressed tar, and the volume's use as `du` saw it. */
  tarBytes: number;
  usedBytes?: number;
  /** What the volume held (find in the helper, right before the tar) and what the tar holds; absent in backups of older versions. */
  inventory?: { volume: Inventory; tar: Inventory };
}

/** Entries (files, folders, links…; sockets, which a tar cannot hold, left out) and the logical bytes of regular files. */
export interface Inventory {
  entries: number;
  fileBytes: number;
}

export interface SnapshotSource {
  kind: 'snapshot';
  /** ESXi host or vCenter URL (no credentials). */
  vsphereUrl: string;
  vm: string;
  snapshotName: string;
  datastore: string;
  /** `[ds] dockvols/…/vol.vmdk` as attached to the VM. */
  diskPath: string;
  diskMode: string;
  capacityBytes?: number;
  /** quiesced: VMware Tools flushed and froze the guest's file systems for the snapshot; crash-consistent: as after a power cut. */
  consistency?: SnapshotConsistency;
  /** Containers stopped for the snapshot (and started again before the download). */
  stoppedContainers?: string[];
}

export type SnapshotConsistency = 'quiesced' | 'crash-consistent';

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  tool: { name: string; version: string };
  mode: BackupMode;
  dockerHost: string;
  volume: ManifestVolume;
  source: ArchiveSource | SnapshotSource;
  startedAt: string;
  finishedAt: string;
  totalBytes: number;
  files: ManifestFile[];
}

export async function writeManifest(dir: string, manifest: Manifest): Promise<void> {
  const file = join(dir, MANIFEST_FILE);
  const handle = await fs.open(file, 'w');
  try {
    await handle.writeFile(`${JSON.stringify(manifest, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function readManifest(dir: string): Promise<Manifest> {
  const text = await readRegularFile(join(dir, MANIFEST_FILE), dir);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UserError(
      `${MANIFEST_FILE} in ${dir} is not valid JSON (${(err as Error).message}).`,
      'The backup folder is damaged: restore from another backup.',
    );
  }
  return checkManifest(value, dir);
}

/** A manifest is read only from a regular file: not through a symlink (nor a FIFO that would block). */
async function readRegularFile(file: string, dir: string): Promise<string> {
  const notRegular = (what: string) =>
    new UserError(
      `${MANIFEST_FILE} in ${dir} is ${what}, not a regular file.`,
      'Anyone who can write to the backup folder may have put it there: restore another backup.',
      'BACKUP_DAMAGED',
    );
  let handle;
  try {
    handle = await fs.open(file, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw notRegular('a symbolic link');
    throw err;
  }
  try {
    if (!(await handle.stat()).isFile()) throw notRegular('a folder, FIFO or device');
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

const SHA256 = /^[0-9a-f]{64}$/;
const ROLES = new Set(['archive', 'descriptor', 'flat', 'sidecar']);

/** Checks the shape that restore and verify rely on, so a damaged manifest fails with its reason. */
export function checkManifest(value: unknown, where: string): Manifest {
  const bad = (what: string) =>
    new UserError(`${MANIFEST_FILE} in ${where}: ${what}.`, 'The backup folder is damaged or not a vdvs backup.');
  if (!isObject(value)) throw bad('not an object');
  if (value.format !== MANIFEST_FORMAT) throw bad(`unknown format ${JSON.stringify(value.format)} (this version reads ${MANIFEST_FORMAT})`);
  if (value.mode !== 'archive' && value.mode !== 'snapshot') throw bad(`unknown mode ${JSON.stringify(value.mode)}`);
  if (typeof value.dockerHost !== 'string') throw bad('dockerHost missing');
  const volume = value.volume;
  if (!isObject(volume) || typeof volume.name !== 'string' || typeof volume.driver !== 'string' || !isObject(volume.options))
    throw bad('volume missing or incomplete');
  const source = value.source;
  if (!isObject(source) || source.kind !== value.mode) throw bad('source missing or of another mode');
  if (
    source.inventory !== undefined &&
    !(isObject(source.inventory) && isInventory(source.inventory.volume) && isInventory(source.inventory.tar))
  )
    throw bad('source.inventory is incomplete');
  if (!Array.isArray(value.files) || value.files.length === 0) throw bad('no files listed');
  const names = new Set<string>();
  for (const f of value.files) {
    if (
      !isObject(f) ||
      typeof f.name !== 'string' ||
      typeof f.size !== 'number' ||
      typeof f.sha256 !== 'string' ||
      typeof f.role !== 'string'
    )
      throw bad('a file entry is incomplete');
    if (!f.name || f.name === MANIFEST_FILE || /[/\\]|^\.\.?$/.test(f.name)) throw bad(`file name '${f.name}' is not allowed`);
    if (!SHA256.test(f.sha256)) throw bad(`sha256 of ${f.name} is not 64 hex digits`);
    if (!ROLES.has(f.role)) throw bad(`role of ${f.name} is unknown`);
    if (names.has(f.name)) throw bad(`${f.name} is listed twice`);
    names.add(f.name);
  }
  return value as unknown as Manifest;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isInventory(v: unknown): v is Inventory {
  return isObject(v) && Number.isSafeInteger(v.entries) && Number.isSafeInteger(v.fileBytes);
}
