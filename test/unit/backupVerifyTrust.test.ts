import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Manifest, MANIFEST_FILE } from '../../src/core/backup/manifest';
import { describeProblem, verifyBackup } from '../../src/core/backup/verify';

/**
 * Anyone who can write to a backup folder can put a symlink (or a folder, a FIFO) where the
 * manifest lists a file, with the hash of what it points to: verify must refuse it, as restore
 * relies on verify.
 */
const temps: string[] = [];
after(() => Promise.all(temps.map((d) => fs.rm(d, { recursive: true, force: true }))));

const CONTENT = Buffer.from('the bytes of a file outside the backup folder\n');
const SHA = createHash('sha256').update(CONTENT).digest('hex');

/** A backup folder whose manifest lists volume.tar with the hash and size of CONTENT, and a file outside it holding CONTENT. */
async function folderListing(): Promise<{ dir: string; outside: string }> {
  const root = await fs.mkdtemp(join(tmpdir(), 'vdvs-verify-trust-'));
  temps.push(root);
  const dir = join(root, 'backup');
  await fs.mkdir(dir);
  const outside = join(root, 'outside.tar');
  await fs.writeFile(outside, CONTENT);
  const manifest: Manifest = {
    format: 1,
    tool: { name: 'test', version: '0' },
    mode: 'archive',
    dockerHost: 'host1',
    volume: { name: 'vol1', driver: 'vsphere:latest', options: {} },
    source: { kind: 'archive', helperImage: 'alpine:latest', compression: 'none', stoppedContainers: [], tarBytes: CONTENT.length },
    startedAt: new Date(0).toISOString(),
    finishedAt: new Date(0).toISOString(),
    totalBytes: CONTENT.length,
    files: [{ name: 'volume.tar', size: CONTENT.length, sha256: SHA, role: 'archive' }],
  };
  await fs.writeFile(join(dir, MANIFEST_FILE), JSON.stringify(manifest));
  return { dir, outside };
}

describe('verify trusts only regular files in a backup folder', () => {
  it('a regular file with the listed hash is ok (the control case)', async () => {
    const { dir } = await folderListing();
    await fs.writeFile(join(dir, 'volume.tar'), CONTENT);
    const report = await verifyBackup(dir);
    assert.deepEqual(report.problems, []);
    assert.equal(report.ok, true);
  });

  it('refuses volume.tar as a symlink to a file outside, even with the right hash, and names it', async () => {
    const { dir, outside } = await folderListing();
    await fs.symlink(outside, join(dir, 'volume.tar'));
    const report = await verifyBackup(dir);
    assert.equal(report.ok, false);
    assert.deepEqual(report.problems.map(describeProblem), ['volume.tar: a symbolic link, not a regular file']);
  });

  it('refuses a folder and a FIFO in place of a listed file, and a symlink that is not listed', async () => {
    const { dir, outside } = await folderListing();
    await fs.mkdir(join(dir, 'volume.tar'));
    await fs.symlink(outside, join(dir, 'extra.bin'));
    const asFolder = await verifyBackup(dir);
    assert.deepEqual(asFolder.problems.map(describeProblem).sort(), [
      'extra.bin: a symbolic link, not a regular file',
      'volume.tar: a folder, not a regular file',
    ]);

    await fs.rm(join(dir, 'volume.tar'), { recursive: true });
    await fs.rm(join(dir, 'extra.bin'));
    execFileSync('mkfifo', [join(dir, 'volume.tar')]);
    const asFifo = await verifyBackup(dir);
    assert.deepEqual(asFifo.problems.map(describeProblem), ['volume.tar: a FIFO, not a regular file']);
  });

  it('refuses a manifest.json that is a symlink', async () => {
    const { dir } = await folderListing();
    await fs.writeFile(join(dir, 'volume.tar'), CONTENT);
    await fs.rename(join(dir, MANIFEST_FILE), join(dir, '..', 'elsewhere.json'));
    await fs.symlink(join(dir, '..', 'elsewhere.json'), join(dir, MANIFEST_FILE));
    await assert.rejects(verifyBackup(dir), /manifest\.json in .* is a symbolic link, not a regular file/);
  });
});
