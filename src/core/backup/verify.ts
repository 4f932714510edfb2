import { Dirent, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Hashed, hashStream, openRegularFile } from './hashing';
import { Inventory, Manifest, MANIFEST_FILE, ManifestFile, readManifest } from './manifest';
import { Progress, ProgressMeter } from './progress';
import { hashAndCountArchive } from './tarInventory';

export interface VerifyProblem {
  file: string;
  kind: 'mismatch' | 'size' | 'missing' | 'extra' | 'not-regular' | 'inventory';
  expected?: string;
  actual?: string;
}

export interface VerifyReport {
  dir: string;
  ok: boolean;
  /** Files whose hash was recomputed. */
  checked: number;
  bytes: number;
  problems: VerifyProblem[];
}

/**
 * Recomputes the sha256 of every file a backup's manifest lists and reports each difference.
 * Only regular files count: a symlink (to a file outside, with that file's hash), a folder or a
 * FIFO in a backup folder is a problem, as anyone who can write there could have put it.
 */
export async function verifyBackup(
  dir: string,
  options: { signal?: AbortSignal; onProgress?: (p: Progress) => void } = {},
): Promise<VerifyReport> {
  const manifest = await readManifest(dir);
  const report: VerifyReport = { dir, ok: true, checked: 0, bytes: 0, problems: [] };
  const present = new Map(
    (await fs.readdir(dir, { withFileTypes: true })).filter((e) => e.name !== MANIFEST_FILE).map((e) => [e.name, e] as const),
  );
  const meter = options.onProgress ? new ProgressMeter('Verifying', options.onProgress, manifest.totalBytes) : undefined;
  for (const file of manifest.files) {
    const entry = present.get(file.name);
    present.delete(file.name);
    if (!entry) {
      report.problems.push({ file: file.name, kind: 'missing' });
      continue;
    }
    if (!entry.isFile()) {
      report.problems.push({ file: file.name, kind: 'not-regular', actual: fileKind(entry) });
      continue;
    }
    // opened without following a symlink put there since the listing
    await checkStoredFile(report, manifest, file, () => openRegularFile(join(dir, file.name)), options.signal, meter);
  }
  for (const [name, entry] of present)
    report.problems.push(entry.isFile() ? { file: name, kind: 'extra' } : { file: name, kind: 'not-regular', actual: fileKind(entry) });
  meter?.finish();
  report.ok = report.problems.length === 0;
  return report;
}

/** What a folder entry is, in words: `a symbolic link`, `a folder`… */
export function fileKind(entry: Pick<Dirent, 'isFile' | 'isDirectory' | 'isSymbolicLink' | 'isFIFO' | 'isSocket'>): string {
  if (entry.isSymbolicLink()) return 'a symbolic link';
  if (entry.isDirectory()) return 'a folder';
  if (entry.isFIFO()) return 'a FIFO';
  if (entry.isSocket()) return 'a socket';
  return entry.isFile() ? 'a regular file' : 'a device';
}

/**
 * Every file a manifest lists, read from `read` (a repository's dump) and checked against its size and
 * sha256: the verify of a store that holds no folder to list.
 */
export async function verifyStreams(
  where: string,
  manifest: Manifest,
  read: (file: ManifestFile) => Promise<Readable>,
  options: { signal?: AbortSignal; onProgress?: (p: Progress) => void } = {},
): Promise<VerifyReport> {
  const report: VerifyReport = { dir: where, ok: true, checked: 0, bytes: 0, problems: [] };
  const meter = options.onProgress ? new ProgressMeter('Verifying', options.onProgress, manifest.totalBytes) : undefined;
  for (const file of manifest.files) await checkStoredFile(report, manifest, file, () => read(file), options.signal, meter);
  meter?.finish();
  report.ok = report.problems.length === 0;
  return report;
}

/** Reads one stored file and adds its size, hash and inventory problems to the report. */
async function checkStoredFile(
  report: VerifyReport,
  manifest: Manifest,
  file: ManifestFile,
  open: () => Promise<Readable>,
  signal: AbortSignal | undefined,
  meter: ProgressMeter | undefined,
): Promise<void> {
  const counted: VerifyProblem[] = [];
  const actual = await hashFileOf(manifest, file, open, signal, meter, counted);
  report.checked++;
  report.bytes += actual.size;
  if (actual.size !== file.size)
    report.problems.push({ file: file.name, kind: 'size', expected: String(file.size), actual: String(actual.size) });
  if (actual.sha256 !== file.sha256)
    report.problems.push({ file: file.name, kind: 'mismatch', expected: file.sha256, actual: actual.sha256 });
  // a file whose bytes changed reads as a damaged tar too: the count matters only for the bytes backed up
  else report.problems.push(...counted);
}

/**
 * The file's size and sha256. An archive whose manifest has an inventory is read back as a tar in
 * the same pass, and a count that differs from the one recorded at backup time is a problem.
 */
async function hashFileOf(
  manifest: Manifest,
  file: ManifestFile,
  open: () => Promise<Readable>,
  signal: AbortSignal | undefined,
  meter: ProgressMeter | undefined,
  problems: VerifyProblem[],
): Promise<Hashed> {
  const source = manifest.source;
  if (file.role !== 'archive' || source.kind !== 'archive' || !source.inventory) return hashStream(await open(), signal, meter);
  const expected = source.inventory.tar;
  const read = await hashAndCountArchive(await open(), source.compression, signal, meter).catch(async (err: unknown) => {
    problems.push({
      file: file.name,
      kind: 'inventory',
      expected: describeInventory(expected),
      actual: `unreadable tar (${(err as Error).message})`,
    });
    return hashStream(await open(), signal); // the hash still decides whether it changed
  });
  if ('tar' in read && (read.tar.entries !== expected.entries || read.tar.fileBytes !== expected.fileBytes)) {
    problems.push({ file: file.name, kind: 'inventory', expected: describeInventory(expected), actual: describeInventory(read.tar) });
  }
  return read;
}

function describeInventory(i: Inventory): string {
  return `${i.entries} entries, ${i.fileBytes} bytes of files`;
}

export function describeProblem(p: VerifyProblem): string {
  switch (p.kind) {
    case 'mismatch':
      return `${p.file}: sha256 mismatch (expected ${p.expected}, got ${p.actual})`;
    case 'size':
      return `${p.file}: size ${p.actual} bytes, manifest says ${p.expected}`;
    case 'missing':
      return `${p.file}: missing`;
    case 'extra':
      return `${p.file}: not listed in the manifest`;
    case 'not-regular':
      return `${p.file}: ${p.actual}, not a regular file`;
    case 'inventory':
      return `${p.file}: the tar holds ${p.actual}, the manifest says ${p.expected}`;
  }
}
