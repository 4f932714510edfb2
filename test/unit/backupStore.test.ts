import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { dateOfTimestamp, listAllBackups, listBackups, timestampOf } from '../../src/core/backup/layout';
import { checkManifest, Manifest, MANIFEST_FILE } from '../../src/core/backup/manifest';
import { PartialBackup, removeStaleLeftovers } from '../../src/core/backup/partialBackup';
import { checkRetain, pruneBackups } from '../../src/core/backup/retention';
import { endRun, startRun } from '../../src/core/backup/runOwner';
import { verifyBackup } from '../../src/core/backup/verify';
import { UserError } from '../../src/core/errors';

const BASE: Omit<Manifest, 'files' | 'totalBytes'> = {
  format: 1,
  tool: { name: 'test', version: '0' },
  mode: 'archive',
  dockerHost: 'host1',
  volume: { name: 'vol1', driver: 'vsphere:latest', options: { size: '1gb' } },
  source: { kind: 'archive', helperImage: 'alpine:latest', compression: 'none', stoppedContainers: [], tarBytes: 5 },
  startedAt: new Date(0).toISOString(),
  finishedAt: new Date(0).toISOString(),
};

const temps: string[] = [];
async function tempDest(): Promise<string> {
  const dir = await fs.mkdtemp(join(tmpdir(), 'vdvs-backup-unit-'));
  temps.push(dir);
  return dir;
}
after(() => Promise.all(temps.map((d) => fs.rm(d, { recursive: true, force: true }))));

/** The run the tests write as: live for the whole file. */
const RUN = startRun();
const COMMIT = { dockerHost: BASE.dockerHost, volume: BASE.volume, source: BASE.source, startedAt: new Date(0) };

async function makeBackup(dest: string, at: Date, content = 'hello', volume = 'vol1') {
  const partial = await PartialBackup.begin(dest, 'host1', volume, RUN, at);
  await partial.addStream('volume.tar', 'archive', Readable.from([Buffer.from(content)]));
  return partial.commit(COMMIT);
}

describe('backup layout', () => {
  it('names folders by a sortable timestamp that maps back to the date', () => {
    const d = new Date('2024-05-01T12:30:05.123Z');
    assert.equal(timestampOf(d), '2024-05-01T12-30-05-123Z');
    assert.equal(dateOfTimestamp(timestampOf(d)).getTime(), d.getTime());
    assert.throws(() => dateOfTimestamp('yesterday'), UserError);
  });

  it('writes <dest>/<host>/<volume>/<ts>/ with a manifest holding the size and sha256 of each file', async () => {
    const dest = await tempDest();
    const entry = await makeBackup(dest, new Date('2024-05-01T00:00:00Z'));
    assert.equal(entry.dir, join(dest, 'host1', 'vol1', '2024-05-01T00-00-00-000Z'));
    const names = (await fs.readdir(entry.dir)).sort();
    assert.deepEqual(names, [MANIFEST_FILE, 'volume.tar']);
    const manifest = JSON.parse(await fs.readFile(join(entry.dir, MANIFEST_FILE), 'utf8'));
    assert.deepEqual(manifest.files, [
      { name: 'volume.tar', role: 'archive', size: 5, sha256: '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824' },
    ]);
    assert.equal(manifest.totalBytes, 5);
  });

  it('lists partial folders as leftovers and unreadable ones as damaged, never as backups', async () => {
    const dest = await tempDest();
    await makeBackup(dest, new Date('2024-05-01T00:00:00Z'));
    const running = await PartialBackup.begin(dest, 'host1', 'vol1', RUN, new Date('2024-05-02T00:00:00Z'));
    await running.addStream('volume.tar', 'archive', Readable.from([Buffer.from('half')]));
    const broken = join(dest, 'host1', 'vol1', '2024-05-03T00-00-00-000Z');
    await fs.mkdir(broken);
    await fs.writeFile(join(broken, MANIFEST_FILE), '{"format":1');
    const listing = await listBackups(dest, 'host1', 'vol1');
    assert.deepEqual(
      listing.backups.map((b) => b.timestamp),
      ['2024-05-01T00-00-00-000Z'],
    );
    assert.deepEqual(
      listing.leftovers.map((l) => l.dir),
      [running.dir],
    );
    assert.match(listing.leftovers[0].reason, /unfinished/);
    assert.deepEqual(
      listing.damaged.map((l) => l.dir),
      [broken],
    );
    assert.match(listing.damaged[0].reason, /not valid JSON/);
    const all = await listAllBackups(dest);
    assert.equal(all.length, 1);
    assert.equal(all[0].volume, 'vol1');
  });

  it('removes a partial backup whose run ended or whose process died, and keeps one of a live run, in this process too', async () => {
    const dest = await tempDest();
    const ended = startRun();
    const live = startRun();
    const child = spawn(process.execPath, ['-e', 'setTimeout(()=>{}, 60000)']);
    try {
      const other = { runId: 'child', host: hostname(), pid: child.pid! };
      const mineEnded = await PartialBackup.begin(dest, 'host1', 'vol1', ended, new Date('2024-05-01T00:00:00Z'));
      const mineLive = await PartialBackup.begin(dest, 'host1', 'vol1', live, new Date('2024-05-02T00:00:00Z'));
      const ofChild = await PartialBackup.begin(dest, 'host1', 'vol1', other, new Date('2024-05-03T00:00:00Z'));
      endRun(ended);
      assert.deepEqual(
        (await removeStaleLeftovers(dest, 'host1', 'vol1')).map((l) => l.dir),
        [mineEnded.dir],
      );
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      assert.deepEqual(
        (await removeStaleLeftovers(dest, 'host1', 'vol1')).map((l) => l.dir),
        [ofChild.dir],
      );
      assert.deepEqual(
        (await listBackups(dest, 'host1', 'vol1')).leftovers.map((l) => l.dir),
        [mineLive.dir],
      );
    } finally {
      child.kill('SIGKILL');
      endRun(live);
    }
  });

  it('refuses host and volume names that would escape the destination', async () => {
    const dest = await tempDest();
    await assert.rejects(PartialBackup.begin(dest, '..', 'vol1', RUN), /cannot be used as a folder name/);
    await assert.rejects(listBackups(dest, 'host1', 'a/b'), /cannot be used as a folder name/);
  });
});

describe('manifest checks', () => {
  const good = { ...BASE, totalBytes: 1, files: [{ name: 'volume.tar', role: 'archive', size: 1, sha256: 'a'.repeat(64) }] };
  it('accepts a complete manifest', () => {
    assert.equal(checkManifest(good, 'x').volume.name, 'vol1');
  });
  for (const [what, bad, msg] of [
    ['unknown format', { ...good, format: 2 }, /unknown format/],
    ['unknown mode', { ...good, mode: 'tape' }, /unknown mode/],
    ['path in a file name', { ...good, files: [{ ...good.files[0], name: '../etc/passwd' }] }, /not allowed/],
    ['short hash', { ...good, files: [{ ...good.files[0], sha256: 'abc' }] }, /64 hex/],
    ['no files', { ...good, files: [] }, /no files/],
    ['source of another mode', { ...good, mode: 'snapshot' }, /another mode/],
  ] as const) {
    it(`rejects ${what}`, () => assert.throws(() => checkManifest(bad, 'x'), msg));
  }
});

describe('retention', () => {
  it('keeps exactly the N newest good backups and ignores leftovers', async () => {
    const dest = await tempDest();
    for (let day = 1; day <= 5; day++) await makeBackup(dest, new Date(`2024-05-0${day}T00:00:00Z`));
    const partial = await PartialBackup.begin(dest, 'host1', 'vol1', RUN, new Date('2024-04-01T00:00:00Z'));
    const removed = await pruneBackups(dest, 'host1', 'vol1', 'archive', 2);
    assert.deepEqual(
      removed.map((b) => b.timestamp),
      ['2024-05-03T00-00-00-000Z', '2024-05-02T00-00-00-000Z', '2024-05-01T00-00-00-000Z'],
    );
    const listing = await listBackups(dest, 'host1', 'vol1');
    assert.deepEqual(
      listing.backups.map((b) => b.timestamp),
      ['2024-05-05T00-00-00-000Z', '2024-05-04T00-00-00-000Z'],
    );
    assert.deepEqual(
      listing.leftovers.map((l) => l.dir),
      [partial.dir],
    );
    assert.deepEqual(await pruneBackups(dest, 'host1', 'vol1', 'archive', 2), []);
  });

  it('counts the backups of each mode apart and never touches folders it did not write', async () => {
    const dest = await tempDest();
    const snapshot = {
      ...COMMIT,
      source: {
        kind: 'snapshot' as const,
        vsphereUrl: 'https://esx/sdk',
        vm: 'vm',
        snapshotName: 's',
        datastore: 'ds',
        diskPath: '[ds] dockvols/x/vol1.vmdk',
        diskMode: 'persistent',
      },
    };
    for (let day = 1; day <= 2; day++) {
      const partial = await PartialBackup.begin(dest, 'host1', 'vol1', RUN, new Date(`2024-04-0${day}T00:00:00Z`));
      await partial.addStream('vol1.vmdk', 'descriptor', Readable.from([Buffer.from('d')]));
      await partial.commit(snapshot);
    }
    for (let day = 1; day <= 3; day++) await makeBackup(dest, new Date(`2024-05-0${day}T00:00:00Z`));
    const folder = join(dest, 'host1', 'vol1');
    for (const own of ['notes', '2020-01-01T00-00-00-000Z']) await fs.mkdir(join(folder, own));
    assert.deepEqual(
      (await pruneBackups(dest, 'host1', 'vol1', 'archive', 2)).map((b) => b.timestamp),
      ['2024-05-01T00-00-00-000Z'],
    );
    assert.deepEqual(
      (await listBackups(dest, 'host1', 'vol1')).backups.map((b) => `${b.manifest.mode} ${b.timestamp}`),
      [
        'archive 2024-05-03T00-00-00-000Z',
        'archive 2024-05-02T00-00-00-000Z',
        'snapshot 2024-04-02T00-00-00-000Z',
        'snapshot 2024-04-01T00-00-00-000Z',
      ],
    );
    assert.deepEqual(
      (await pruneBackups(dest, 'host1', 'vol1', 'snapshot', 1)).map((b) => b.timestamp),
      ['2024-04-01T00-00-00-000Z'],
    );
    for (const own of ['notes', '2020-01-01T00-00-00-000Z']) await fs.access(join(folder, own));
  });

  it('rejects a retain that is not a whole number of at least 1', () => {
    for (const bad of [0, -1, 1.5, '3', undefined]) assert.throws(() => checkRetain(bad), /whole number/);
  });
});

describe('verify', () => {
  it('passes an intact backup', async () => {
    const dest = await tempDest();
    const entry = await makeBackup(dest, new Date('2024-05-01T00:00:00Z'), 'x'.repeat(100000));
    const report = await verifyBackup(entry.dir);
    assert.equal(report.ok, true);
    assert.equal(report.checked, 1);
    assert.equal(report.bytes, 100000);
  });

  it('reports a flipped byte, a missing file and an extra file', async () => {
    const dest = await tempDest();
    const partial = await PartialBackup.begin(dest, 'host1', 'vol1', RUN, new Date('2024-05-01T00:00:00Z'));
    await partial.addStream('a.bin', 'flat', Readable.from([Buffer.alloc(4096, 7)]));
    await partial.addStream('b.vmdk', 'descriptor', Readable.from([Buffer.from('descriptor')]));
    const entry = await partial.commit(COMMIT);
    const handle = await fs.open(join(entry.dir, 'a.bin'), 'r+');
    await handle.write(Buffer.from([7 ^ 0x01]), 0, 1, 2048);
    await handle.close();
    await fs.rm(join(entry.dir, 'b.vmdk'));
    await fs.writeFile(join(entry.dir, 'stray.txt'), 'x');
    const report = await verifyBackup(entry.dir);
    assert.equal(report.ok, false);
    assert.deepEqual(report.problems.map((p) => `${p.kind}:${p.file}`).sort(), ['extra:stray.txt', 'mismatch:a.bin', 'missing:b.vmdk']);
  });
});
