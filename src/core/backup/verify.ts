import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { hashFile } from './hashing';
import { MANIFEST_FILE, readManifest } from './manifest';
import { Progress, ProgressMeter } from './progress';

export interface VerifyProblem {
  file: string;
  kind: 'mismatch' | 'size' | 'missing' | 'extra';
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

/** Recomputes the sha256 of every file a backup's manifest lists and reports each difference. */
export async function verifyBackup(dir: string, options: { signal?: AbortSignal; onProgress?: (p: Progress) => void } = {}): Promise<VerifyReport> {
  const manifest = await readManifest(dir);
  const report: VerifyReport = { dir, ok: true, checked: 0, bytes: 0, problems: [] };
  const present = new Set((await fs.readdir(dir)).filter((n) => n !== MANIFEST_FILE));
  const meter = options.onProgress ? new ProgressMeter('Verifying', options.onProgress, manifest.totalBytes) : undefined;
  for (const file of manifest.files) {
    if (!present.delete(file.name)) {
      report.problems.push({ file: file.name, kind: 'missing' });
      continue;
    }
    const actual = await hashFile(join(dir, file.name), options.signal, meter);
    report.checked++;
    report.bytes += actual.size;
    if (actual.size !== file.size) report.problems.push({ file: file.name, kind: 'size', expected: String(file.size), actual: String(actual.size) });
    if (actual.sha256 !== file.sha256) report.problems.push({ file: file.name, kind: 'mismatch', expected: file.sha256, actual: actual.sha256 });
  }
  for (const extra of present) report.problems.push({ file: extra, kind: 'extra' });
  meter?.finish();
  report.ok = report.problems.length === 0;
  return report;
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
  }
}
