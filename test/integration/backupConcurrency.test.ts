import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openFolderBackup } from '../../src/core/backup/folderStore';
import { HELPER_LABEL, HELPER_RUN_LABEL } from '../../src/core/backup/dockerHelper';
import { BackupJob } from '../../src/core/backup/job';
import { listBackups } from '../../src/core/backup/layout';
import { Reporter, SILENT } from '../../src/core/backup/reporter';
import { restoreBackup } from '../../src/core/backup/restore';
import { runBackupJob } from '../../src/core/backup/runJob';
import { findVm, SNAPSHOT_PREFIX } from '../../src/core/backup/snapshotMode';
import { DockerConnection } from '../../src/core/docker/connection';
import { UserError } from '../../src/core/errors';
import { VsphereSession } from '../../src/core/vsphere/session';
import { createSnapshot, listSnapshots, removeSnapshot } from '../../src/core/vsphere/snapshots';
import { VolumeLab } from '../fixtures/volumeLab';
import { BackupSuite, closeBackupSuite, openBackupSuite, runCli, spawnCli } from './backupLab';

const HOST = 'backup-cc-host';
const tag = `cc19-${process.pid.toString(36)}`;
/** "busy: backed up by run R on host H (PID P) since T": who holds the volume. */
const BUSY = /busy: backed up by run (\S+) on host (\S+) \(PID (\d+)\) since (\S+)/;

describe('concurrent runs, crashes and retention on the lab', { timeout: 600_000 }, () => {
  let suite: BackupSuite;
  let lab: VolumeLab;
  let docker: BackupSuite['docker'];
  let conn: DockerConnection;
  let session: VsphereSession;
  let dest: string;
  let configFile: string;
  let volumes: string[];
  let containers: string[];

  const full = (volume: string) => `${volume}@${lab.vsphere.datastore}`;
  const steps = (into: string[], also?: (m: string) => void): Reporter => ({
    ...SILENT,
    step: (m) => (into.push(m), also?.(m)),
    warn: (m) => into.push(`warning: ${m}`),
  });
  const archiveJob = (vol: string, more: Partial<BackupJob> = {}): BackupJob => ({
    dockerHost: HOST,
    volumes: [vol],
    mode: 'archive',
    destination: dest,
    retain: 5,
    ...more,
  });
  const snapshotJob = (vol: string, more: Partial<BackupJob> = {}): BackupJob => ({
    dockerHost: HOST,
    volumes: [vol],
    mode: 'snapshot',
    destination: dest,
    retain: 5,
    vm: lab.vsphere.vm,
    ...more,
  });
  const ctx = (reporter: Reporter) => ({ conn, reporter, vsphere: async () => session });
  const running = async (c: string) => (await docker('inspect', '-f', '{{.State.Running}}', c)).trim() === 'true';
  const helpersOf = async (vol: string) =>
    (await docker('ps', '-a', '-q', '--filter', `label=${HELPER_LABEL}=${vol}`)).trim().split('\n').filter(Boolean);
  const ourSnapshots = async () => {
    const located = await findVm(session, lab.vsphere.vm);
    return (await listSnapshots(session, located.vm.ref)).filter((s) => s.name.startsWith(SNAPSHOT_PREFIX));
  };

  async function newVolume(suffix: string, opts: string[] = [], fillMiB = 0): Promise<string> {
    const name = `${tag}-${suffix}`;
    await docker('volume', 'create', '--driver', 'vsphere', '--name', name, '-o', 'size=64mb', ...opts);
    volumes.push(name);
    if (fillMiB)
      await docker(
        'run',
        '--rm',
        '--network',
        'none',
        '-v',
        `${name}:/d`,
        'alpine:latest',
        'sh',
        '-c',
        `head -c ${fillMiB << 20} /dev/urandom > /d/big.bin && echo hi > /d/a.txt && sync`,
      );
    return name;
  }
  /** A container using the volume that stops at once on TERM (a plain `sleep` as PID 1 would make docker stop wait its grace period). */
  async function runContainer(mount: string): Promise<string> {
    const name = `${tag}-c${containers.length}`;
    containers.push(name);
    await docker(
      'run',
      '-d',
      '--name',
      name,
      '--network',
      'none',
      '-v',
      `${mount}:/d`,
      'alpine:latest',
      'sh',
      '-c',
      'trap "exit 0" TERM; while :; do sleep 1; done',
    );
    return name;
  }
  async function config(name: string, job: Record<string, unknown>): Promise<string> {
    const file = join(dest, `${name}.json`);
    const base = JSON.parse(await fs.readFile(configFile, 'utf8'));
    await fs.writeFile(file, JSON.stringify({ ...base, jobs: [{ name, dockerHost: HOST, destination: dest, retain: 5, ...job }] }));
    return file;
  }
  const cli = (args: string[]) => spawnCli(lab, args);
  const cliRun = (args: string[]) => runCli(lab, args);
  /** Starts the CLI and resolves once its stderr matches `until` (with the child still running). */
  async function cliUntil(args: string[], until: RegExp) {
    const child = cli(args);
    let err = '';
    const exited = new Promise<number | null>((r) => child.on('exit', r));
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (d) => {
        err += d;
        if (until.test(err)) resolve();
      });
      void exited.then(() => reject(new Error(`the CLI ended before ${until}: ${err}`)));
    });
    return { child, exited, stderr: () => err };
  }

  before(async () => {
    suite = await openBackupSuite(HOST, 'vdvs-backup-cc-');
    ({ lab, docker, conn, session, dest, configFile, volumes, containers } = suite);
  });

  after(async () => {
    // helpers a killed run left (recover removes them; a failed assertion may not get there)
    for (const v of volumes ?? []) for (const id of await helpersOf(v).catch(() => [])) await docker('rm', '-f', id).catch(() => undefined);
    await closeBackupSuite(suite);
  });

  it("archive: a second run of a volume in the same process is refused naming the holder and leaves the first run's partial alone; another volume runs in parallel", async () => {
    const vol = await newVolume('same', [], 32);
    const other = await newVolume('other', [], 1);
    const log1: string[] = [];
    let second: ReturnType<typeof runBackupJob> | undefined;
    let parallel: ReturnType<typeof runBackupJob> | undefined;
    const first = runBackupJob(
      archiveJob(vol),
      ctx(
        steps(log1, (m) => {
          if (!m.startsWith('Mounting') || second) return;
          second = runBackupJob(archiveJob(vol), ctx(SILENT));
          parallel = runBackupJob(archiveJob(other), ctx(SILENT));
        }),
      ),
    );
    const s1 = await first;
    assert.ok(second && parallel, log1.join('\n'));
    const [s2, s3] = await Promise.all([second, parallel]);
    assert.equal(s1.ok, true, JSON.stringify(s1.results));
    assert.equal(s2.ok, false, 'the second run of the same volume is refused');
    const m = BUSY.exec(s2.results[0].error ?? '');
    assert.ok(m, s2.results[0].error);
    assert.deepEqual([m[2], m[3]], [hostname(), String(process.pid)]);
    assert.equal(s3.ok, true, `another volume backs up meanwhile: ${JSON.stringify(s3.results)}`);
    const listing = await listBackups(dest, HOST, full(vol));
    assert.deepEqual([listing.backups.length, listing.leftovers.length], [1, 0]);
    await assert.rejects(fs.access(join(dest, HOST, full(vol), '.lock')), 'the lock is released at the end');
  });

  it('archive: a second CLI process is refused while the first backs the volume up', async () => {
    const vol = await newVolume('cli', [], 48);
    const cfg = await config('cli', { volumes: [vol], mode: 'archive' });
    const first = await cliUntil(['backup', '--config', cfg], /Mounting/);
    const second = await cliRun(['backup', '--config', cfg]);
    const code1 = await first.exited;
    assert.equal(code1, 0, first.stderr());
    assert.equal(second.code, 1, second.out + second.err);
    const m = BUSY.exec(second.out + second.err);
    assert.ok(m, second.out + second.err);
    assert.deepEqual([m[2], m[3]], [hostname(), String(first.child.pid)]);
    assert.equal((await listBackups(dest, HOST, full(vol))).backups.length, 1);
  });

  it("snapshot: two runs of one job at once — the second is refused and does not remove the first run's snapshot", async () => {
    const vol = await newVolume('snap2', ['-o', 'attach-as=persistent'], 8);
    await runContainer(vol);
    const log1: string[] = [];
    const log2: string[] = [];
    let second: ReturnType<typeof runBackupJob> | undefined;
    const s1 = await runBackupJob(
      snapshotJob(vol),
      ctx(
        steps(log1, (m) => {
          if (m.startsWith('Downloading') && !second) second = runBackupJob(snapshotJob(vol), ctx(steps(log2)));
        }),
      ),
    );
    const s2 = await second!;
    assert.ok(
      !log2.some((m) => /left on .* by an interrupted backup/.test(m)),
      `the second run removed the first run's snapshot:\n${log2.join('\n')}`,
    );
    assert.equal(s1.ok, true, JSON.stringify(s1.results));
    assert.equal(s2.ok, false, `both were listed as good: ${JSON.stringify(s2.results)}`);
    assert.match(s2.results[0].error ?? '', BUSY);
    assert.equal((await listBackups(dest, HOST, full(vol))).backups.length, 1);
    assert.deepEqual(await ourSnapshots(), []);
  });

  it('snapshot: a run of another volume keeps the snapshot of a live run, and keeps and reports one whose run it cannot judge', async () => {
    const big = await newVolume('snapbig', ['-o', 'attach-as=persistent', '-o', 'size=1gb']);
    const small = await newVolume('snapsmall', ['-o', 'attach-as=persistent'], 1);
    await runContainer(big);
    await runContainer(small);
    const located = await findVm(session, lab.vsphere.vm);
    const foreign = await createSnapshot(session, located.vm.ref, {
      name: `${SNAPSHOT_PREFIX}2020-01-01T00-00-00-000Z`,
      description: 'vdvs backup of x; safe to remove if left behind',
    });
    try {
      const log2: string[] = [];
      let second: ReturnType<typeof runBackupJob> | undefined;
      const s1 = await runBackupJob(
        snapshotJob(big),
        ctx(
          steps([], (m) => {
            if (/^Downloading .*-flat\.vmdk/.test(m) && !second) second = runBackupJob(snapshotJob(small), ctx(steps(log2)));
          }),
        ),
      );
      const s2 = await second!;
      assert.equal(s1.ok, true, JSON.stringify(s1.results));
      assert.equal(s2.ok, true, JSON.stringify(s2.results));
      assert.ok(
        !log2.some((m) => /^Removing snapshot .* left on/.test(m)),
        `a live run's or an unknown snapshot was removed:\n${log2.join('\n')}`,
      );
      assert.ok(
        log2.some((m) => /warning: .*vdvs-backup-2020-01-01T00-00-00-000Z.*kept/.test(m)),
        `the unknown snapshot is reported:\n${log2.join('\n')}`,
      );
      assert.ok(
        log2.some((m) => /^Keeping snapshot vdvs-backup-\S+ .* is still running/.test(m)),
        `the runs overlapped and the live run's snapshot was seen:\n${log2.join('\n')}`,
      );
      assert.deepEqual(
        (await ourSnapshots()).map((s) => s.ref.value),
        [foreign.value],
      );
    } finally {
      await removeSnapshot(session, foreign).catch(() => undefined);
    }
  });

  it('retention counts archive and snapshot backups apart; a failed run prunes nothing; folders the tool did not write stay', async () => {
    const vol = await newVolume('ret', ['-o', 'attach-as=persistent'], 1);
    await runContainer(vol);
    const folder = join(dest, HOST, full(vol));
    for (let i = 0; i < 2; i++) assert.equal((await runBackupJob(snapshotJob(vol), ctx(SILENT))).ok, true);
    await fs.mkdir(join(folder, 'my-notes'));
    await fs.mkdir(join(folder, '2020-01-01T00-00-00-000Z'));
    for (let i = 0; i < 3; i++) assert.equal((await runBackupJob(archiveJob(vol, { retain: 2 }), ctx(SILENT))).ok, true);
    const modes = async () => (await listBackups(dest, HOST, full(vol))).backups.map((b) => b.manifest.mode).sort();
    assert.deepEqual(
      await modes(),
      ['archive', 'archive', 'snapshot', 'snapshot'],
      'retain 2 of an archive job keeps 2 archive backups and leaves the snapshot backups',
    );
    const failed = await runBackupJob(
      archiveJob(vol, { retain: 1, helperImage: `${lab.plugin.ref.split('/')[0]}/vdvs/no-such-helper:1` }),
      ctx(SILENT),
    );
    assert.equal(failed.ok, false);
    assert.equal(failed.results[0].pruned, 0);
    await assert.rejects(fs.access(join(folder, '.lock')), 'a failed run releases its lock');
    assert.deepEqual(await modes(), ['archive', 'archive', 'snapshot', 'snapshot'], 'a failed backup prunes nothing');
    assert.equal((await runBackupJob(snapshotJob(vol, { retain: 1 }), ctx(SILENT))).ok, true);
    assert.deepEqual(await modes(), ['archive', 'archive', 'snapshot']);
    for (const own of ['my-notes', '2020-01-01T00-00-00-000Z']) await fs.access(join(folder, own));
  });

  it('kill -9 of the CLI while a container is stopped: vdvs recover starts it again and removes the helper; so does the next backup', async () => {
    const vol = await newVolume('crash', [], 48);
    const c = await runContainer(vol);
    const cfg = await config('crash', { volumes: [vol], mode: 'archive', stopContainers: true });
    const kill = async () => {
      const run = await cliUntil(['backup', '--config', cfg], /Writing volume\.tar/);
      run.child.kill('SIGKILL');
      await run.exited;
      assert.equal(await running(c), false, 'the killed run left the container stopped');
      const [helper] = await helpersOf(vol);
      assert.ok(helper, 'the killed run left its helper');
      return JSON.parse(await docker('inspect', helper))[0] as { Config: { Cmd: string[]; Labels: Record<string, string> } };
    };

    const helper = await kill();
    assert.deepEqual(helper.Config.Cmd, ['tail', '-f', '/dev/null'], 'the helper waits until it is removed, not a day');
    assert.ok(helper.Config.Labels[HELPER_RUN_LABEL], JSON.stringify(helper.Config.Labels));
    const recovered = await cliRun(['recover', '--config', cfg]);
    assert.equal(recovered.code, 0, recovered.out + recovered.err);
    assert.match(recovered.out + recovered.err, new RegExp(`Started container ${c} again`));
    assert.equal(await running(c), true);
    assert.deepEqual(await helpersOf(vol), []);
    assert.equal((await listBackups(dest, HOST, full(vol))).leftovers.length, 0);

    await kill();
    const next = await cliRun(['backup', '--config', cfg]);
    assert.equal(next.code, 0, next.err);
    assert.match(next.err, new RegExp(`Started container ${c} again`));
    assert.equal(await running(c), true);
    assert.deepEqual(await helpersOf(vol), []);
    const listing = await listBackups(dest, HOST, full(vol));
    assert.deepEqual([listing.backups.length, listing.leftovers.length], [1, 0]);
  });

  it('a container mounting vol@datastore is stopped and started again for a job naming vol, and a restore into vol refuses while it runs', async () => {
    const vol = await newVolume('alias', [], 1);
    const c = await runContainer(full(vol));
    const log: string[] = [];
    const s = await runBackupJob(archiveJob(vol, { stopContainers: true }), ctx(steps(log)));
    assert.equal(s.ok, true, JSON.stringify(s.results));
    assert.ok(
      log.some((m) => m.startsWith(`Stopping container ${c}`)),
      log.join('\n'),
    );
    assert.deepEqual((s.results[0].entry!.manifest.source as { stoppedContainers: string[] }).stoppedContainers, [c]);
    assert.equal(await running(c), true);
    await assert.rejects(
      restoreBackup({
        conn,
        backup: await openFolderBackup(s.results[0].entry!.dir),
        volume: vol,
        target: 'existing',
        allowNonEmpty: true,
        reporter: SILENT,
      }),
      (e: unknown) => e instanceof UserError && e.code === 'VOLUME_IN_USE' && e.message.includes(c),
    );
  });
});
