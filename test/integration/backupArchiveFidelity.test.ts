import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { openFolderBackup } from '../../src/core/backup/folderStore';
import { listBackups } from '../../src/core/backup/layout';
import { ArchiveSource } from '../../src/core/backup/manifest';
import { SILENT } from '../../src/core/backup/reporter';
import { restoreBackup } from '../../src/core/backup/restore';
import { runBackupJob } from '../../src/core/backup/runJob';
import { describeProblem, verifyBackup } from '../../src/core/backup/verify';
import { DockerConnection } from '../../src/core/docker/connection';
import { UserError } from '../../src/core/errors';
import { VolumeLab } from '../fixtures/volumeLab';
import { BackupSuite, closeBackupSuite, dropEntry, openBackupSuite, volumeFileHashes } from './backupLab';
import { StallingProxy } from './stallingProxy';

const run = promisify(execFile);
const HOST = 'fidelity-it-host';
const tag = `fid-${process.pid.toString(36)}`;

describe('archive backups keep what the volume holds, and fail loudly when they cannot (lab dockerd)', { timeout: 600_000 }, () => {
  let suite: BackupSuite;
  let lab: VolumeLab;
  let docker: BackupSuite['docker'];
  let conn: DockerConnection;
  let dest: string;
  let volumes: string[];
  let containers: string[];

  async function newVolume(suffix: string, size = '64mb', opts: string[] = []): Promise<string> {
    const name = `${tag}-${suffix}`;
    await docker('volume', 'create', '--driver', 'vsphere', '--name', name, '-o', `size=${size}`, ...opts);
    volumes.push(name);
    return name;
  }
  const sh = (volume: string, script: string) =>
    docker('run', '--rm', '--network', 'none', '-v', `${volume}:/d`, 'alpine:latest', 'sh', '-c', script);
  const full = (volume: string) => `${volume}@${lab.vsphere.datastore}`;

  before(async () => {
    suite = await openBackupSuite(HOST, 'vdvs-fidelity-it-');
    ({ lab, docker, conn, dest, volumes, containers } = suite);
  });

  after(() => closeBackupSuite(suite));

  describe('idle timeouts of the archive streams (a proxy in front of dockerd that goes silent)', () => {
    let vol: string;
    let proxy: StallingProxy | undefined;
    let slow: DockerConnection | undefined;
    const through = async (stall: 'archive-get' | 'archive-put') => {
      proxy = await StallingProxy.start(join(dest, `${stall}.sock`), lab.docker.socket, stall);
      slow = await DockerConnection.open({ id: HOST, name: HOST, endpoint: `unix://${proxy.path}` }, { timeoutMs: 2_000 });
      return slow;
    };

    before(async () => {
      vol = await newVolume('idle');
      await sh(vol, 'head -c 8388608 /dev/urandom > /d/random.bin && echo hi > /d/a.txt');
    });

    after(async () => {
      slow?.close();
      await proxy?.close();
    });

    it(
      'a tar GET that stops sending fails with TIMEOUT naming the host and volume, leaves no partial and starts the stopped container again',
      { timeout: 60_000 },
      async () => {
        const user = `${tag}-user`;
        containers.push(user);
        // stops at once on TERM (a bare `sleep` as PID 1 would make docker stop wait its whole grace time)
        await docker(
          'run',
          '-d',
          '--name',
          user,
          '--network',
          'none',
          '-v',
          `${vol}:/d`,
          'alpine:latest',
          'sh',
          '-c',
          'trap "exit 0" TERM; while :; do sleep 1; done',
        );
        const c = await through('archive-get');
        const summary = await runBackupJob(
          { dockerHost: HOST, volumes: [vol], mode: 'archive', destination: join(dest, 'idle'), retain: 2, stopContainers: true },
          { conn: c, reporter: SILENT },
        );
        assert.equal(proxy!.stalls > 0, true, 'the proxy stalled the tar');
        assert.equal(summary.ok, false);
        const error = summary.results[0].error ?? '';
        assert.match(error, new RegExp(`${HOST}.*sent no data for 2 s.*volume ${vol}`), error);
        const listed = await listBackups(join(dest, 'idle'), HOST, full(vol));
        assert.deepEqual([listed.backups.length, listed.leftovers.length], [0, 0]);
        assert.equal((await docker('inspect', '--format', '{{.State.Running}}', user)).trim(), 'true');
        await docker('rm', '-f', user);
        slow!.close();
        await proxy!.close();
        proxy = slow = undefined;
      },
    );

    it('a restore upload the daemon stops reading fails with TIMEOUT naming the host and volume', { timeout: 60_000 }, async () => {
      const summary = await runBackupJob(
        { dockerHost: HOST, volumes: [vol], mode: 'archive', destination: join(dest, 'idle-r'), retain: 2 },
        { conn, reporter: SILENT },
      );
      assert.equal(summary.ok, true, JSON.stringify(summary.results));
      const target = await newVolume('idle-r');
      const c = await through('archive-put');
      await assert.rejects(
        restoreBackup({
          conn: c,
          backup: await openFolderBackup(summary.results[0].entry!.dir),
          volume: target,
          target: 'existing',
          reporter: SILENT,
        }),
        (e: unknown) =>
          e instanceof UserError && e.code === 'TIMEOUT' && e.message.includes(HOST) && e.message.includes(`volume ${target}`),
      );
      assert.equal(proxy!.stalls > 0, true, 'the proxy stalled the upload');
    });
  });

  describe('a tar that misses files is never committed as good', () => {
    it(
      'a file removed while dockerd streams the tar (dockerd leaves it out and ends the tar normally) fails the backup with TAR_INCOMPLETE and the hint',
      { timeout: 120_000 },
      async () => {
        const vol = await newVolume('drop');
        // dockerd walks in name order: it is inside a-big.bin when the proxy holds the tar, zz-late.txt comes after
        await sh(vol, 'head -c 8388608 /dev/urandom > /d/a-big.bin && echo late > /d/zz-late.txt');
        const proxy = await StallingProxy.start(join(dest, 'drop.sock'), lab.docker.socket, 'archive-get');
        const c = await DockerConnection.open({ id: HOST, name: HOST, endpoint: `unix://${proxy.path}` }, { timeoutMs: 60_000 });
        try {
          const running = runBackupJob(
            { dockerHost: HOST, volumes: [vol], mode: 'archive', destination: join(dest, 'drop'), retain: 2 },
            { conn: c, reporter: SILENT },
          );
          while (!proxy.stalls) await new Promise((r) => setTimeout(r, 50));
          await sh(vol, 'rm /d/zz-late.txt');
          proxy.release();
          const summary = await running;
          assert.equal(summary.ok, false, 'a tar without zz-late.txt is not a good backup');
          const error = summary.results[0].error ?? '';
          assert.match(
            error,
            new RegExp(`tar of volume ${vol} is incomplete: the volume holds 3 entries and 8\\.0 MiB of files, the tar 2 and 8\\.0 MiB`),
            error,
          );
          assert.match(error, /stopContainers.*snapshot mode/, error);
          const listed = await listBackups(join(dest, 'drop'), HOST, full(vol));
          assert.deepEqual([listed.backups.length, listed.leftovers.length], [0, 0]);
        } finally {
          c.close();
          await proxy.close();
        }
      },
    );

    it('a unix socket in the volume, which a tar cannot hold (dockerd leaves it out), does not fail the backup', async () => {
      const vol = await newVolume('sock');
      const holder = `${tag}-sock`;
      containers.push(holder);
      await docker(
        'run',
        '-d',
        '--name',
        holder,
        '--network',
        'none',
        '-v',
        `${vol}:/d`,
        'alpine:latest',
        'sh',
        '-c',
        'echo data > /d/a.txt && sleep 1d',
      );
      // an application's socket, made from the host through the container's view of the volume
      const pid = (await docker('inspect', '--format', '{{.State.Pid}}', holder)).trim();
      await run(process.execPath, ['-e', "require('net').createServer().listen('app.sock', () => process.exit(0))"], {
        cwd: `/proc/${pid}/root/d`,
      });
      assert.match(await docker('exec', holder, 'stat', '-c', '%F', '/d/app.sock'), /socket/);
      const summary = await runBackupJob(
        { dockerHost: HOST, volumes: [vol], mode: 'archive', destination: join(dest, 'sock'), retain: 2 },
        { conn, reporter: SILENT },
      );
      assert.equal(summary.ok, true, JSON.stringify(summary.results));
      assert.deepEqual(
        (summary.results[0].entry!.manifest.source as ArchiveSource).inventory?.tar,
        { entries: 2, fileBytes: 5 },
        'lost+found and a.txt',
      );
    });

    it('records the inventory of volume and tar in the manifest, and verify reads the tar back: a tar missing an entry under matching hashes is reported', async () => {
      const vol = await newVolume('inv');
      await sh(
        vol,
        'mkdir -p /d/sub && echo one > /d/one.txt && echo two > /d/sub/two.txt && ln -s one.txt /d/link && ln /d/one.txt /d/hard',
      );
      const summary = await runBackupJob(
        { dockerHost: HOST, volumes: [vol], mode: 'archive', destination: join(dest, 'inv'), retain: 2 },
        { conn, reporter: SILENT },
      );
      assert.equal(summary.ok, true, JSON.stringify(summary.results));
      const entry = summary.results[0].entry!;
      const source = entry.manifest.source as ArchiveSource;
      // lost+found, one.txt, sub, sub/two.txt, link, hard; 4 + 4 bytes (hard is a link to one.txt)
      assert.deepEqual(source.inventory, { volume: { entries: 6, fileBytes: 8 }, tar: { entries: 6, fileBytes: 8 } });
      assert.equal((await verifyBackup(entry.dir)).ok, true);

      // someone rewrites the archive without sub/two.txt and fixes sha256 and size in the manifest
      const tarFile = join(entry.dir, 'volume.tar');
      const forged = await dropEntry(await fs.readFile(tarFile), './sub/two.txt');
      await fs.writeFile(tarFile, forged);
      const manifest = JSON.parse(await fs.readFile(join(entry.dir, 'manifest.json'), 'utf8'));
      Object.assign(manifest.files[0], { size: forged.length, sha256: createHash('sha256').update(forged).digest('hex') });
      await fs.writeFile(join(entry.dir, 'manifest.json'), JSON.stringify(manifest));
      const report = await verifyBackup(entry.dir);
      assert.equal(report.ok, false);
      assert.deepEqual(report.problems.map(describeProblem), [
        'volume.tar: the tar holds 5 entries, 4 bytes of files, the manifest says 6 entries, 8 bytes of files',
      ]);
    });
  });

  describe('every backup that says ok restores', () => {
    it('symlinks whose relative target leaves the volume (ln -s ../outside) come back as they were, owner and mtime included', async () => {
      const vol = await newVolume('links');
      await sh(
        vol,
        'mkdir -p /d/sub && echo data > /d/a.txt && ln -s ../outside /d/up-link && ln -s ../../../etc/passwd /d/sub/deep-link && ln -s a.txt /d/ok-link && chown -h 123:456 /d/up-link && touch -h -d @1000000000 /d/up-link && touch -d @1100000000 /d/sub',
      );
      const stat = (v: string) =>
        docker(
          'run',
          '--rm',
          '--network',
          'none',
          '-v',
          `${v}:/d:ro`,
          'alpine:latest',
          'stat',
          '-c',
          '%n %F %u:%g %Y %N',
          '/d/up-link',
          '/d/sub/deep-link',
          '/d/ok-link',
          '/d/sub',
        );
      const before = await volumeFileHashes(conn, vol);
      const statBefore = await stat(vol);
      const summary = await runBackupJob(
        { dockerHost: HOST, volumes: [vol], mode: 'archive', destination: join(dest, 'links'), retain: 2 },
        { conn, reporter: SILENT },
      );
      assert.equal(summary.ok, true, JSON.stringify(summary.results));
      const restored = `${tag}-links-r`;
      volumes.push(restored);
      await restoreBackup({
        conn,
        backup: await openFolderBackup(summary.results[0].entry!.dir),
        volume: restored,
        target: 'new',
        reporter: SILENT,
      });
      assert.deepEqual(await volumeFileHashes(conn, restored), before);
      assert.equal(await stat(restored), statBefore);
    });

    it("a daemon error during the restore names the user's volume, not the helper's /data (a volume too small for the backup)", async () => {
      const vol = await newVolume('big');
      await sh(vol, 'head -c 12582912 /dev/urandom > /d/random.bin');
      const summary = await runBackupJob(
        { dockerHost: HOST, volumes: [vol], mode: 'archive', destination: join(dest, 'big'), retain: 2 },
        { conn, reporter: SILENT },
      );
      assert.equal(summary.ok, true, JSON.stringify(summary.results));
      const small = await newVolume('small', '8mb');
      await assert.rejects(
        restoreBackup({
          conn,
          backup: await openFolderBackup(summary.results[0].entry!.dir),
          volume: small,
          target: 'existing',
          reporter: SILENT,
        }),
        (e: unknown) => {
          const message = (e as Error).message;
          assert.match(message, new RegExp(`volume ${small}`), message);
          assert.match(message, new RegExp(`${small}:/random\\.bin: no space left on device`), message);
          assert.doesNotMatch(message, /\/data/, message);
          return true;
        },
      );
    });
  });

  describe('sparse files', () => {
    it('a 300 MiB sparse file in a 100 MB volume: the archive does not store its zeros, and it comes back sparse (allocation within 1 %) with the same content', async (t) => {
      const vol = await newVolume('sparse', '100mb');
      // 4 KiB at the start, 64 KiB of random data at 100 MiB, the rest holes; and a small dense file beside it
      await sh(
        vol,
        'truncate -s 300M /d/sparse.bin && printf start | dd of=/d/sparse.bin conv=notrunc 2>/dev/null && dd if=/dev/urandom of=/d/sparse.bin bs=4096 seek=25600 count=16 conv=notrunc 2>/dev/null && echo dense > /d/dense.txt && chown 7:8 /d/sparse.bin && chmod 640 /d/sparse.bin && touch -d @1200000000 /d/sparse.bin && sync',
      );
      const facts = (v: string) =>
        docker(
          'run',
          '--rm',
          '--network',
          'none',
          '-v',
          `${v}:/d:ro`,
          'alpine:latest',
          'stat',
          '-c',
          '%s %b %B %u:%g %a %Y',
          '/d/sparse.bin',
        ).then((o) => o.trim().split(' '));
      const [size, blocks, blockSize, ...meta] = await facts(vol);
      assert.equal(size, String(300 * 1048576));
      const allocated = Number(blocks) * Number(blockSize);
      assert.ok(allocated < 1048576, `the source is sparse (${allocated} bytes allocated)`);
      const before = await volumeFileHashes(conn, vol);

      const summary = await runBackupJob(
        { dockerHost: HOST, volumes: [vol], mode: 'archive', destination: join(dest, 'sparse'), retain: 2 },
        { conn, reporter: SILENT },
      );
      assert.equal(summary.ok, true, JSON.stringify(summary.results));
      const entry = summary.results[0].entry!;
      const archive = entry.manifest.files[0];
      assert.ok(archive.size < 1048576, `the archive holds the data, not the holes (${archive.size} bytes)`);
      assert.deepEqual(
        (entry.manifest.source as ArchiveSource).inventory?.tar.fileBytes,
        300 * 1048576 + 6,
        'the inventory counts logical sizes',
      );
      assert.equal((await verifyBackup(entry.dir)).ok, true);
      // the stored entry is standard PAX sparse 1.0: GNU tar extracts the same file, sparse
      const untarred = join(dest, 'sparse-untarred');
      await fs.mkdir(untarred);
      await run('tar', ['-xf', join(entry.dir, archive.name), '-C', untarred]);
      const hash = createHash('sha256');
      for await (const chunk of createReadStream(join(untarred, 'sparse.bin'))) hash.update(chunk as Buffer);
      assert.equal(hash.digest('hex'), before.get('./sparse.bin'));
      assert.ok((await fs.stat(join(untarred, 'sparse.bin'))).blocks * 512 < 1048576, 'GNU tar made it sparse too');

      const restored = `${tag}-sparse-r`;
      volumes.push(restored);
      await restoreBackup({ conn, backup: await openFolderBackup(entry.dir), volume: restored, target: 'new', reporter: SILENT });
      assert.deepEqual(await volumeFileHashes(conn, restored), before);
      const [size2, blocks2, blockSize2, ...meta2] = await facts(restored);
      assert.equal(size2, size);
      assert.deepEqual(meta2, meta, 'owner, mode and mtime as they were');
      const allocated2 = Number(blocks2) * Number(blockSize2);
      assert.ok(Math.abs(allocated2 - allocated) <= allocated / 100, `restored allocation ${allocated2} bytes, source ${allocated}`);
      t.diagnostic(
        `archive ${archive.size} bytes for a ${size}-byte file with ${allocated} bytes allocated; restored with ${allocated2} allocated`,
      );
      const listing = await docker('run', '--rm', '--network', 'none', '-v', `${restored}:/d:ro`, 'alpine:latest', 'ls', '-A', '/d');
      assert.deepEqual(listing.trim().split('\n').sort(), ['dense.txt', 'lost+found', 'sparse.bin'], 'no helper files left in the volume');
    });
  });

  describe('a destination that fills up (a 4 MiB tmpfs made by the test)', () => {
    let small: string;
    before(async () => {
      small = join(dest, 'small');
      await fs.mkdir(small);
      await run('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', small]);
    });
    after(async () => {
      await run('umount', [small]).catch(() => undefined);
    });

    /** One wording in both modes: ENOSPC, the folder written to, the volume and what it needs. */
    const noSpace = (error: string, vol: string, needs: RegExp) => {
      assert.ok(error.includes(`${join(small, HOST, full(vol))} ran out of space (ENOSPC)`), error);
      assert.ok(error.includes(`volume ${vol}`), error);
      assert.match(error, needs, error);
    };

    it('archive mode: ENOSPC names the destination folder and how much the volume held; nothing is left behind', async () => {
      const vol = await newVolume('full');
      await sh(vol, 'head -c 8388608 /dev/urandom > /d/random.bin');
      const summary = await runBackupJob(
        { dockerHost: HOST, volumes: [vol], mode: 'archive', destination: small, retain: 2 },
        { conn, reporter: SILENT },
      );
      assert.equal(summary.ok, false);
      noSpace(summary.results[0].error ?? '', vol, /needs about 8\.\d MiB/);
      const listed = await listBackups(small, HOST, full(vol));
      assert.deepEqual([listed.backups.length, listed.leftovers.length], [0, 0]);
    });

    it('snapshot mode: ENOSPC reads the same way, with the size of the disk', async () => {
      const vol = await newVolume('full-s', '64mb', ['-o', 'attach-as=persistent']);
      const user = `${tag}-snap-user`;
      containers.push(user);
      await docker('run', '-d', '--name', user, '--network', 'none', '-v', `${vol}:/d`, 'alpine:latest', 'sleep', '1d');
      try {
        await assert.rejects(
          runBackupJob(
            { dockerHost: HOST, volumes: [vol], mode: 'snapshot', destination: small, retain: 2, vm: lab.vsphere.vm },
            { conn, vsphere: async () => suite.session, reporter: SILENT },
          ),
          (e: unknown) => (noSpace((e as Error).message, vol, /needs about 64\.\d MiB/), true),
        );
      } finally {
        await docker('rm', '-f', user);
      }
      const listed = await listBackups(small, HOST, full(vol));
      assert.deepEqual([listed.backups.length, listed.leftovers.length], [0, 0]);
    });
  });
});
