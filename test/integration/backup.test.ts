import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CancelledError } from '../../src/core/abort';
import { openFolderBackup } from '../../src/core/backup/folderStore';
import { HELPER_LABEL } from '../../src/core/backup/dockerHelper';
import { listBackups } from '../../src/core/backup/layout';
import { SILENT } from '../../src/core/backup/reporter';
import { restoreBackup } from '../../src/core/backup/restore';
import { runBackupJob } from '../../src/core/backup/runJob';
import { SNAPSHOT_PREFIX, findVm } from '../../src/core/backup/snapshotMode';
import { verifyBackup } from '../../src/core/backup/verify';
import { DockerConnection } from '../../src/core/docker/connection';
import { UserError } from '../../src/core/errors';
import { VsphereSession } from '../../src/core/vsphere/session';
import { listSnapshots } from '../../src/core/vsphere/snapshots';
import { VolumeLab } from '../fixtures/volumeLab';
import { BackupSuite, closeBackupSuite, fillScript, openBackupSuite, runCli, spawnCli, volumeFileHashes } from './backupLab';

const HOST = 'backup-it-host';
const tag = `bk8-${process.pid.toString(36)}`;

describe('backups on the lab', { timeout: 600_000 }, () => {
  let suite: BackupSuite;
  let lab: VolumeLab;
  let docker: BackupSuite['docker'];
  let conn: DockerConnection;
  let session: VsphereSession;
  let dest: string;
  let volumes: string[];
  let containers: string[];
  let configFile: string;

  /** The name backups are filed under: vsphere volumes by their full vol@datastore name. */
  const full = (volume: string) => `${volume}@${lab.vsphere.datastore}`;

  async function newVolume(suffix: string, opts: string[] = []): Promise<string> {
    const name = `${tag}-${suffix}`;
    await docker('volume', 'create', '--driver', 'vsphere', '--name', name, '-o', 'size=64mb', ...opts);
    volumes.push(name);
    return name;
  }
  async function runContainer(volume: string): Promise<string> {
    const name = `${tag}-c${containers.length}`;
    containers.push(name); // before the run: a container that failed to start still exists
    await docker('run', '-d', '--name', name, '--network', 'none', '-v', `${volume}:/d`, 'alpine:latest', 'sleep', '1d');
    return name;
  }
  const cli = (args: string[]) => spawnCli(lab, args);
  const cliRun = (args: string[]) => runCli(lab, args);

  before(async () => {
    suite = await openBackupSuite(HOST, 'vdvs-backup-it-');
    ({ lab, docker, conn, session, dest, volumes, containers, configFile } = suite);
  });

  after(() => closeBackupSuite(suite));

  it('archive mode: backs up (gzip), restores into a new volume with the same sha256 for every file, refuses a non-empty target without confirmation', async () => {
    const vol = await newVolume('arch');
    await docker('run', '--rm', '--network', 'none', '-v', `${vol}:/d`, 'alpine:latest', 'sh', '-c', fillScript());
    const before = await volumeFileHashes(conn, vol);
    assert.ok(before.size >= 4, `expected the test files, got ${[...before.keys()].join(', ')}`);
    const summary = await runBackupJob(
      { dockerHost: HOST, volumes: [vol], mode: 'archive', destination: dest, retain: 3, compression: 'gzip' },
      { conn, reporter: SILENT },
    );
    assert.equal(summary.ok, true, JSON.stringify(summary.results));
    const entry = summary.results[0].entry!;
    assert.equal(entry.manifest.files[0].name, 'volume.tar.gz');
    assert.equal(entry.manifest.volume.driver, 'vsphere:latest');
    assert.equal((await verifyBackup(entry.dir)).ok, true);

    const restored = `${tag}-arch-r`;
    volumes.push(restored);
    await restoreBackup({ conn, backup: await openFolderBackup(entry.dir), volume: restored, target: 'new', reporter: SILENT });
    assert.deepEqual(await volumeFileHashes(conn, restored), before);
    const inspect = JSON.parse(await docker('volume', 'inspect', restored))[0];
    assert.equal(inspect.Driver, 'vsphere:latest');
    assert.equal(inspect.Options.size, '64mb', 'created with the backed-up volume options');

    await assert.rejects(
      restoreBackup({ conn, backup: await openFolderBackup(entry.dir), volume: restored, target: 'new', reporter: SILENT }),
      /already exists/,
    );
    // non-empty: a changed file and one of its own
    await docker(
      'run',
      '--rm',
      '--network',
      'none',
      '-v',
      `${restored}:/d`,
      'alpine:latest',
      'sh',
      '-c',
      'echo changed > /d/a.txt && echo mine > /d/own.txt',
    );
    const changed = await volumeFileHashes(conn, restored);
    await assert.rejects(
      restoreBackup({ conn, backup: await openFolderBackup(entry.dir), volume: restored, target: 'existing', reporter: SILENT }),
      (e: unknown) =>
        e instanceof UserError &&
        e.code === 'VOLUME_NOT_EMPTY' &&
        e.message === `Volume ${restored} is not empty.` &&
        /--overwrite/.test(e.hint ?? ''),
    );
    assert.deepEqual(await volumeFileHashes(conn, restored), changed, 'a refused restore changes nothing');
    await restoreBackup({
      conn,
      backup: await openFolderBackup(entry.dir),
      volume: restored,
      target: 'existing',
      allowNonEmpty: true,
      reporter: SILENT,
    });
    // archive mode writes the backup over the volume: its files are back, the extra one stays
    const own = [...changed].find(([path]) => path.endsWith('own.txt'));
    assert.ok(own, [...changed.keys()].join(', '));
    assert.deepEqual(await volumeFileHashes(conn, restored), new Map([...before, own]));

    const empty = await newVolume('arch-e');
    await restoreBackup({ conn, backup: await openFolderBackup(entry.dir), volume: empty, target: 'existing', reporter: SILENT });
    assert.deepEqual(await volumeFileHashes(conn, empty), before);
  });

  it('archive mode with stopContainers stops the container using the volume and starts it again', async () => {
    const vol = await newVolume('stop');
    const c = await runContainer(vol);
    const steps: string[] = [];
    const summary = await runBackupJob(
      { dockerHost: HOST, volumes: [vol], mode: 'archive', destination: dest, retain: 3, stopContainers: true },
      { conn, reporter: { ...SILENT, step: (m) => steps.push(m) } },
    );
    assert.equal(summary.ok, true, JSON.stringify(summary.results));
    assert.deepEqual((summary.results[0].entry!.manifest.source as { stoppedContainers: string[] }).stoppedContainers, [c]);
    assert.ok(steps.some((s) => s.startsWith(`Stopping container ${c}`)));
    assert.equal((await docker('inspect', '-f', '{{.State.Running}}', c)).trim(), 'true');
  });

  it('cancelling an archive backup leaves no partial folder, no helper container and the container running', async () => {
    const vol = await newVolume('cancel');
    await docker('run', '--rm', '--network', 'none', '-v', `${vol}:/d`, 'alpine:latest', 'sh', '-c', fillScript(4096));
    const c = await runContainer(vol);
    const controller = new AbortController();
    const run = runBackupJob(
      { dockerHost: HOST, volumes: [vol], mode: 'archive', destination: dest, retain: 3, stopContainers: true },
      {
        conn,
        signal: controller.signal,
        reporter: { ...SILENT, step: (m) => m.startsWith('Writing') && controller.abort() },
      },
    );
    await assert.rejects(run, (e: unknown) => e instanceof CancelledError);
    const listing = await listBackups(dest, HOST, full(vol));
    assert.deepEqual([listing.backups.length, listing.leftovers.length], [0, 0]);
    await assert.rejects(fs.access(join(dest, HOST, full(vol), '.lock')), 'a cancelled run releases its lock');
    assert.equal(
      (await docker('ps', '-a', '-q', '--filter', `label=${HELPER_LABEL}=${vol}`)).trim(),
      '',
      'the helper container is removed',
    );
    assert.equal((await docker('inspect', '-f', '{{.State.Running}}', c)).trim(), 'true', 'the stopped container runs again');
    await docker('rm', '-f', c);
  });

  it('retention keeps exactly N backups; verify reports a flipped byte', async () => {
    const vol = await newVolume('ret');
    await docker('run', '--rm', '--network', 'none', '-v', `${vol}:/d`, 'alpine:latest', 'sh', '-c', fillScript(16));
    const made: string[] = [];
    for (let i = 0; i < 4; i++) {
      const s = await runBackupJob(
        { dockerHost: HOST, volumes: [vol], mode: 'archive', destination: dest, retain: 2 },
        { conn, reporter: SILENT },
      );
      assert.equal(s.ok, true);
      made.push(s.results[0].entry!.dir);
    }
    const { backups } = await listBackups(dest, HOST, full(vol));
    assert.deepEqual(backups.map((b) => b.dir).sort(), made.slice(-2).sort(), 'the two newest are kept, the older ones pruned');
    const victim = join(backups[0].dir, 'volume.tar');
    const handle = await fs.open(victim, 'r+');
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, 700);
    await handle.write(Buffer.from([byte[0] ^ 0xff]), 0, 1, 700);
    await handle.close();
    const r = await cliRun(['verify', backups[0].dir, backups[1].dir]);
    assert.equal(r.code, 1, r.out + r.err);
    assert.match(r.out, /volume\.tar: sha256 mismatch/);
    assert.match(r.out, new RegExp(`ok +${backups[1].dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    await assert.rejects(
      restoreBackup({ conn, backup: await openFolderBackup(backups[0].dir), volume: `${tag}-never`, target: 'new', reporter: SILENT }),
      /damaged/,
    );
  });

  it('snapshot mode: refuses an independent disk before taking any snapshot', async () => {
    const vol = await newVolume('indep');
    const c = await runContainer(vol);
    const located = await findVm(session, lab.vsphere.vm);
    const before = (await listSnapshots(session, located.vm.ref)).length;
    const r = await cliRun(['backup', '--config', await jobConfig('indep', vol)]);
    assert.equal(r.code, 1);
    assert.match(r.err, /attached as independent_persistent.*attach-as=persistent/s);
    assert.equal((await listSnapshots(session, located.vm.ref)).length, before);
    assert.equal((await listBackups(dest, HOST, full(vol))).backups.length, 0);
    await docker('rm', '-f', c);
  });

  /** A persistent volume filled with test files, backed up in snapshot mode by the CLI while a container has it attached. */
  async function snapshotBackup(suffix: string) {
    const vol = await newVolume(suffix, ['-o', 'attach-as=persistent']);
    await docker('run', '--rm', '--network', 'none', '-v', `${vol}:/d`, 'alpine:latest', 'sh', '-c', `${fillScript()} && sync`);
    const before = await volumeFileHashes(conn, vol);
    const c = await runContainer(vol);
    const r = await cliRun(['backup', '--config', await jobConfig(suffix, vol)]);
    await docker('rm', '-f', c);
    assert.equal(r.code, 0, r.err);
    const [entry] = (await listBackups(dest, HOST, full(vol))).backups;
    return { before, entry, stderr: r.err };
  }

  it('snapshot mode: backs up descriptor, flat and sidecar, restores under a new name with the same sha256 for every file', async () => {
    const { before, entry, stderr } = await snapshotBackup('snap');
    assert.deepEqual(entry.manifest.files.map((f) => f.role).sort(), ['descriptor', 'flat', 'sidecar']);
    assert.match(stderr, /excluding \d+ other disk\(s\): .*disk-202-0/, 'the boot disk is excluded');
    const located = await findVm(session, lab.vsphere.vm);
    assert.deepEqual(
      (await listSnapshots(session, located.vm.ref)).filter((s) => s.name.startsWith(SNAPSHOT_PREFIX)),
      [],
    );
    const restored = `${tag}-snap-r`;
    volumes.push(restored);
    const rr = await cliRun([
      'restore',
      '--config',
      configFile,
      '--backup',
      entry.dir,
      '--volume',
      restored,
      '--esxi-host',
      'esx',
      '--yes',
    ]);
    assert.equal(rr.code, 0, rr.err);
    assert.deepEqual(await volumeFileHashes(conn, restored), before);
  });

  it('snapshot mode: restores into an existing empty volume; a non-empty one only with --overwrite, then holds exactly the backed-up files', async () => {
    const { before, entry } = await snapshotBackup('snapx');
    const restore = (target: string, ...flags: string[]) =>
      cliRun(['restore', '--config', configFile, '--backup', entry.dir, '--volume', target, '--esxi-host', 'esx', ...flags]);

    const empty = await newVolume('snapx-e', ['-o', 'attach-as=persistent']);
    assert.equal((await volumeFileHashes(conn, empty)).size, 0, 'a fresh volume holds no files');
    const intoEmpty = await restore(empty, '--existing');
    assert.equal(intoEmpty.code, 0, intoEmpty.err);
    assert.deepEqual(await volumeFileHashes(conn, empty), before);

    const busy = await newVolume('snapx-n', ['-o', 'attach-as=persistent']);
    await docker(
      'run',
      '--rm',
      '--network',
      'none',
      '-v',
      `${busy}:/d`,
      'alpine:latest',
      'sh',
      '-c',
      'echo keep-me > /d/a.txt && echo mine > /d/own.txt && sync',
    );
    const busyBefore = await volumeFileHashes(conn, busy);
    const refused = await restore(busy, '--existing');
    assert.equal(refused.code, 1, refused.out + refused.err);
    assert.match(refused.err, new RegExp(`Volume ${busy} is not empty\\..*--overwrite`, 's'));
    assert.deepEqual(await volumeFileHashes(conn, busy), busyBefore, 'a refused restore changes nothing');
    const overwritten = await restore(busy, '--existing', '--overwrite');
    assert.equal(overwritten.code, 0, overwritten.err);
    // the whole disk is replaced: the volume's own files are gone, not mixed in
    assert.deepEqual(await volumeFileHashes(conn, busy), before);
  });

  it('kill -9 in the middle of a snapshot backup leaves nothing listed as good, and the next run removes the leftover snapshot', async () => {
    const vol = await newVolume('kill', ['-o', 'attach-as=persistent', '-o', 'size=1gb']);
    const c = await runContainer(vol);
    const config = await jobConfig('kill', vol);
    const child = cli(['backup', '--config', config]);
    let err = '';
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (d) => {
        err += d;
        if (/Downloading .*-flat\.vmdk/.test(err)) resolve();
      });
      child.on('exit', () => reject(new Error(`the CLI ended before the download: ${err}`)));
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    const listing = await listBackups(dest, HOST, full(vol));
    assert.equal(listing.backups.length, 0);
    assert.equal(listing.leftovers.length, 1);
    const located = await findVm(session, lab.vsphere.vm);
    assert.equal((await listSnapshots(session, located.vm.ref)).filter((s) => s.name.startsWith(SNAPSHOT_PREFIX)).length, 1);

    const again = await cliRun(['backup', '--config', config]);
    assert.equal(again.code, 0, again.err);
    assert.match(again.err, /Removing snapshot vdvs-backup-.* left on/);
    assert.match(again.err, /Removed leftover/);
    assert.deepEqual(
      (await listSnapshots(session, located.vm.ref)).filter((s) => s.name.startsWith(SNAPSHOT_PREFIX)),
      [],
    );
    const after = await listBackups(dest, HOST, full(vol));
    assert.equal(after.backups.length, 1);
    assert.equal(after.leftovers.length, 0);
    await docker('rm', '-f', c);
  });

  async function jobConfig(name: string, vol: string): Promise<string> {
    const file = join(dest, `${name}.json`);
    const base = JSON.parse(await fs.readFile(configFile, 'utf8'));
    base.jobs = [{ name, dockerHost: HOST, volumes: [vol], mode: 'snapshot', destination: dest, retain: 2 }];
    await fs.writeFile(file, JSON.stringify(base));
    return file;
  }
});
