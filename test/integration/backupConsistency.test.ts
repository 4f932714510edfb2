import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { listBackups } from '../../src/core/backup/layout';
import { SnapshotSource } from '../../src/core/backup/manifest';
import { findVm } from '../../src/core/backup/snapshotMode';
import { MoRef } from '../../src/core/vsphere/normalize';
import { BackupSuite, closeBackupSuite, openBackupSuite, runCli } from './backupLab';
import { checkAppendLog, freezeVolume, setToolsRunning, writerScript, WRITER_LOG } from './consistencyLab';

const HOST = 'consistency-it-host';
const tag = `bc-${process.pid.toString(36)}`;

/**
 * Snapshot backups of a volume that a container appends to while the backup runs: the restored log
 * must be a consistent prefix (no zero runs, no torn line, numbers without gaps), as a real ESXi
 * snapshot gives (lab/README.md, "Snapshots").
 */
describe('consistent snapshot backups of busy volumes', { timeout: 600_000 }, () => {
  let suite: BackupSuite;
  let vmRef: MoRef;

  before(async () => {
    suite = await openBackupSuite(HOST, 'vdvs-consistency-it-');
    vmRef = (await findVm(suite.session, suite.lab.vsphere.vm)).vm.ref;
  });

  after(async () => {
    if (suite) await setToolsRunning(suite.session, vmRef, true).catch(() => undefined);
    await closeBackupSuite(suite);
  });

  const docker = (...args: string[]) => suite.docker(...args);
  const cli = (args: string[]) => runCli(suite.lab, args);

  /** A config with one snapshot job `busy` of the suite's host. */
  async function writeConfig(job: Record<string, unknown>): Promise<string> {
    const config = JSON.parse(await fs.readFile(suite.configFile, 'utf8'));
    config.jobs = [{ name: 'busy', dockerHost: HOST, mode: 'snapshot', destination: suite.dest, retain: 5, ...job }];
    const file = join(suite.dest, 'busy.json');
    await fs.writeFile(file, JSON.stringify(config));
    return file;
  }

  async function logLines(container: string): Promise<number> {
    return Number((await docker('exec', container, 'sh', '-c', `wc -l < ${WRITER_LOG}`)).trim());
  }

  /** A persistent volume with a writer container appending to it, already some lines in. */
  async function busyVolume(suffix: string, fsync: boolean): Promise<{ volume: string; writer: string }> {
    for (const c of suite.containers.splice(0)) await docker('rm', '-f', c); // one writer at a time: they compete for the CPU
    const volume = `${tag}-${suffix}`;
    await docker('volume', 'create', '--driver', 'vsphere', '--name', volume, '-o', 'size=64mb', '-o', 'attach-as=persistent');
    suite.volumes.push(volume);
    const writer = `${volume}-w`;
    suite.containers.push(writer);
    await docker(
      'run',
      '-d',
      '--name',
      writer,
      '--network',
      'none',
      '-v',
      `${volume}:/d`,
      'alpine:latest',
      'sh',
      '-c',
      writerScript(fsync),
    );
    for (let i = 0; (await logLines(writer)) < 2000; i++) {
      assert.ok(i < 600, 'the writer wrote fewer than 2000 lines in 60 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    return { volume, writer };
  }

  /** Backs the busy volume up with the CLI, restores it into a new volume and reads the restored log. */
  async function backupAndRestore(volume: string, writer: string, job: Record<string, unknown> = {}) {
    const configFile = await writeConfig({ volumes: [volume], ...job });
    const linesBefore = await logLines(writer);
    const backup = await cli(['backup', '--config', configFile]);
    assert.equal(backup.code, 0, backup.err);
    const [entry] = (await listBackups(suite.dest, HOST, `${volume}@${suite.lab.vsphere.datastore}`)).backups;
    const restored = `${volume}-r`;
    suite.volumes.push(restored);
    const restore = await cli([
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
    assert.equal(restore.code, 0, restore.err);
    const text = await docker(
      'run',
      '--rm',
      '--network',
      'none',
      '-v',
      `${restored}:/d`,
      'alpine:latest',
      'sh',
      '-c',
      `cat ${WRITER_LOG} 2>/dev/null; true`,
    );
    return { linesBefore, log: checkAppendLog(text), source: entry.manifest.source as SnapshotSource, stderr: backup.err };
  }

  it('quiesced snapshot (VMware Tools running), writer without fsync: the restore holds a consistent prefix with every line written before the backup', async () => {
    const { volume, writer } = await busyVolume('q', false);
    const r = await backupAndRestore(volume, writer);
    assert.deepEqual(r.log.problems, [], `torn copy: ${r.log.problems.slice(0, 5).join('; ')}`);
    assert.ok(
      r.log.lines >= r.linesBefore,
      `the restored log has ${r.log.lines} lines, fewer than the ${r.linesBefore} written before the backup started (not flushed)`,
    );
    assert.equal(r.source.consistency, 'quiesced');
    assert.match(r.stderr, /quiesced snapshot/i);
    assert.ok((await logLines(writer)) > r.log.lines, 'the writer kept writing during the backup');
  });

  it('quiesced snapshot, writer with fsync after every line: a consistent prefix with every line written before the backup', async () => {
    const { volume, writer } = await busyVolume('qf', true);
    const r = await backupAndRestore(volume, writer);
    assert.deepEqual(r.log.problems, [], `torn copy: ${r.log.problems.slice(0, 5).join('; ')}`);
    assert.ok(r.log.lines >= r.linesBefore, `${r.log.lines} restored lines < ${r.linesBefore} written before the backup`);
  });

  it('stopContainers in snapshot mode: the writer is stopped for the snapshot and started again before the download; the restore holds exactly a consistent prefix', async () => {
    const { volume, writer } = await busyVolume('stop', false);
    const startedBefore = (await docker('inspect', '--format', '{{.State.StartedAt}}', writer)).trim();
    const r = await backupAndRestore(volume, writer, { stopContainers: true, stopTimeoutSeconds: 5 });
    assert.deepEqual(r.log.problems, [], `torn copy: ${r.log.problems.slice(0, 5).join('; ')}`);
    assert.ok(r.log.lines >= r.linesBefore, `${r.log.lines} restored lines < ${r.linesBefore} written before the backup`);
    assert.deepEqual(r.source.stoppedContainers, [writer]);
    const stopAt = r.stderr.indexOf(`Stopping container ${writer}`);
    const startAt = r.stderr.indexOf(`Starting container ${writer} again`);
    const downloadAt = r.stderr.search(/Downloading .*-flat\.vmdk/);
    assert.ok(stopAt >= 0 && stopAt < startAt && startAt < downloadAt, `stop, snapshot, start, then download:\n${r.stderr}`);
    assert.equal((await docker('inspect', '--format', '{{.State.Running}}', writer)).trim(), 'true');
    assert.notEqual(
      (await docker('inspect', '--format', '{{.State.StartedAt}}', writer)).trim(),
      startedBefore,
      'the writer was restarted',
    );
  });

  it('VMware Tools not running: falls back to a crash-consistent snapshot, says so, and an fsync writer still restores a consistent prefix', async () => {
    const { volume, writer } = await busyVolume('crash', true);
    await setToolsRunning(suite.session, vmRef, false);
    try {
      const r = await backupAndRestore(volume, writer);
      assert.match(r.stderr, /VMware Tools is not running in docker-host-01.*crash-consistent/s);
      assert.equal(r.source.consistency, 'crash-consistent');
      assert.deepEqual(r.log.problems, [], `torn copy: ${r.log.problems.slice(0, 5).join('; ')}`);
      assert.ok(r.log.lines >= r.linesBefore, `${r.log.lines} restored lines < ${r.linesBefore} fsync'ed before the backup`);
    } finally {
      await setToolsRunning(suite.session, vmRef, true);
    }
  });

  it('a quiesced snapshot that fails (the guest cannot freeze a file system): falls back to a crash-consistent snapshot and says why', async () => {
    const { volume, writer } = await busyVolume('qfail', true);
    // a file system that is already frozen cannot be frozen again: the quiesce fails as in a guest
    const thaw = await freezeVolume(join(suite.lab.vsphere.datastorePath, 'dockvols', '_DEFAULT', `${volume}-flat.vmdk`));
    let r;
    try {
      r = await cli(['backup', '--config', await writeConfig({ volumes: [volume] })]);
    } finally {
      await thaw();
    }
    assert.equal(r.code, 0, r.err);
    assert.match(
      r.err,
      /The quiesced snapshot of docker-host-01 failed \(.*ApplicationQuiesceFault: An error occurred while quiescing the virtual machine.*\); taking a crash-consistent snapshot/,
    );
    const [entry] = (await listBackups(suite.dest, HOST, `${volume}@${suite.lab.vsphere.datastore}`)).backups;
    assert.equal((entry.manifest.source as SnapshotSource).consistency, 'crash-consistent');
    assert.ok((await logLines(writer)) > 0);
  });
});
