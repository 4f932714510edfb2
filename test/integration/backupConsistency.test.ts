import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { listBackups } from '../../src/core/backup/layout';
import { SnapshotSource } from '../../src/core/backup/manifest';
import { findVm } from '../../src/core/backup/snapshotMode';
import { connectToHost } from '../../src/core/vsphere/connect';
import { VsphereSession } from '../../src/core/vsphere/session';
import { ensureVolumeLab, labDocker, VolumeLab } from '../fixtures/volumeLab';
import { checkAppendLog, freezeVolume, setToolsRunning, writerScript, WRITER_LOG } from './consistencyLab';

const CLI = join(__dirname, '../../../dist/cli.js');
const HOST = 'consistency-it-host';
const tag = `bc-${process.pid.toString(36)}`;

/**
 * Snapshot backups of a volume that a container appends to while the backup runs: the restored log
 * must be a consistent prefix (no zero runs, no torn line, numbers without gaps), as a real ESXi
 * snapshot gives (lab/README.md, "Snapshots").
 */
describe('consistent snapshot backups of busy volumes', { timeout: 600_000 }, () => {
  let lab: VolumeLab;
  let docker: (...args: string[]) => Promise<string>;
  let session: VsphereSession;
  let vmRef: Awaited<ReturnType<typeof findVm>>['vm']['ref'];
  let dest: string;
  let configFile: string;
  const volumes: string[] = [];
  const containers: string[] = [];

  before(async () => {
    lab = await ensureVolumeLab();
    docker = labDocker(lab);
    session = await connectToHost({ id: 'esx', name: 'esx', url: lab.vsphere.url, user: lab.vsphere.user, thumbprint: lab.vsphere.thumbprint }, lab.vsphere.password, { timeoutMs: 60_000 });
    vmRef = (await findVm(session, lab.vsphere.vm)).vm.ref;
    dest = await fs.mkdtemp(join(tmpdir(), 'vdvs-consistency-it-'));
    configFile = join(dest, 'vdvs.json');
  });

  after(async () => {
    for (const c of containers) await docker('rm', '-f', c).catch(() => undefined);
    for (const v of volumes) await docker('volume', 'rm', '-f', v).catch(() => undefined);
    if (session) await setToolsRunning(session, vmRef, true).catch(() => undefined);
    await session?.close();
    if (dest) await fs.rm(dest, { recursive: true, force: true });
  });

  async function cli(args: string[]): Promise<{ code: number | null; err: string }> {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, VDVS_ESXI_PASSWORD_ESX: lab.vsphere.password } });
    let err = '';
    child.stdout.resume();
    child.stderr.on('data', (d) => (err += d));
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    return { code, err };
  }

  async function writeConfig(job: Record<string, unknown>): Promise<void> {
    await fs.writeFile(configFile, JSON.stringify({
      dockerHosts: [{ name: HOST, endpoint: lab.docker.host, esxiHost: 'esx', vm: lab.vsphere.vm }],
      esxiHosts: [{ name: 'esx', url: lab.vsphere.url, user: lab.vsphere.user, thumbprint: lab.vsphere.thumbprint }],
      jobs: [{ name: 'busy', dockerHost: HOST, mode: 'snapshot', destination: dest, retain: 5, ...job }],
      requestTimeoutSeconds: 60,
    }));
  }

  async function logLines(container: string): Promise<number> {
    return Number((await docker('exec', container, 'sh', '-c', `wc -l < ${WRITER_LOG}`)).trim());
  }

  /** A persistent volume with a writer container appending to it, already some lines in. */
  async function busyVolume(suffix: string, fsync: boolean): Promise<{ volume: string; writer: string }> {
    for (const c of containers.splice(0)) await docker('rm', '-f', c); // one writer at a time: they compete for the CPU
    const volume = `${tag}-${suffix}`;
    await docker('volume', 'create', '--driver', 'vsphere', '--name', volume, '-o', 'size=64mb', '-o', 'attach-as=persistent');
    volumes.push(volume);
    const writer = `${volume}-w`;
    containers.push(writer);
    await docker('run', '-d', '--name', writer, '--network', 'none', '-v', `${volume}:/d`, 'alpine:latest', 'sh', '-c', writerScript(fsync));
    for (let i = 0; (await logLines(writer)) < 2000; i++) {
      assert.ok(i < 600, 'the writer wrote fewer than 2000 lines in 60 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    return { volume, writer };
  }

  /** Backs the busy volume up with the CLI, restores it into a new volume and reads the restored log. */
  async function backupAndRestore(volume: string, writer: string, job: Record<string, unknown> = {}) {
    await writeConfig({ volumes: [volume], ...job });
    const linesBefore = await logLines(writer);
    const backup = await cli(['backup', '--config', configFile]);
    assert.equal(backup.code, 0, backup.err);
    const [entry] = (await listBackups(dest, HOST, `${volume}@${lab.vsphere.datastore}`)).backups;
    const restored = `${volume}-r`;
    volumes.push(restored);
    const restore = await cli(['restore', '--config', configFile, '--backup', entry.dir, '--volume', restored, '--esxi-host', 'esx']);
    assert.equal(restore.code, 0, restore.err);
    const text = await docker('run', '--rm', '--network', 'none', '-v', `${restored}:/d`, 'alpine:latest', 'sh', '-c', `cat ${WRITER_LOG} 2>/dev/null; true`);
    return { linesBefore, log: checkAppendLog(text), source: entry.manifest.source as SnapshotSource, stderr: backup.err };
  }

  it('quiesced snapshot (VMware Tools running), writer without fsync: the restore holds a consistent prefix with every line written before the backup', async () => {
    const { volume, writer } = await busyVolume('q', false);
    const r = await backupAndRestore(volume, writer);
    assert.deepEqual(r.log.problems, [], `torn copy: ${r.log.problems.slice(0, 5).join('; ')}`);
    assert.ok(r.log.lines >= r.linesBefore, `the restored log has ${r.log.lines} lines, fewer than the ${r.linesBefore} written before the backup started (not flushed)`);
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
    assert.notEqual((await docker('inspect', '--format', '{{.State.StartedAt}}', writer)).trim(), startedBefore, 'the writer was restarted');
  });

  it('VMware Tools not running: falls back to a crash-consistent snapshot, says so, and an fsync writer still restores a consistent prefix', async () => {
    const { volume, writer } = await busyVolume('crash', true);
    await setToolsRunning(session, vmRef, false);
    try {
      const r = await backupAndRestore(volume, writer);
      assert.match(r.stderr, /VMware Tools is not running in docker-host-01.*crash-consistent/s);
      assert.equal(r.source.consistency, 'crash-consistent');
      assert.deepEqual(r.log.problems, [], `torn copy: ${r.log.problems.slice(0, 5).join('; ')}`);
      assert.ok(r.log.lines >= r.linesBefore, `${r.log.lines} restored lines < ${r.linesBefore} fsync'ed before the backup`);
    } finally {
      await setToolsRunning(session, vmRef, true);
    }
  });

  it('a quiesced snapshot that fails (the guest cannot freeze a file system): falls back to a crash-consistent snapshot and says why', async () => {
    const { volume, writer } = await busyVolume('qfail', true);
    // a file system that is already frozen cannot be frozen again: the quiesce fails as in a guest
    const thaw = await freezeVolume(join(lab.vsphere.datastorePath, 'dockvols', '_DEFAULT', `${volume}-flat.vmdk`));
    let r;
    try {
      await writeConfig({ volumes: [volume] });
      r = await cli(['backup', '--config', configFile]);
    } finally {
      await thaw();
    }
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /The quiesced snapshot of docker-host-01 failed \(.*ApplicationQuiesceFault: An error occurred while quiescing the virtual machine.*\); taking a crash-consistent snapshot/);
    const [entry] = (await listBackups(dest, HOST, `${volume}@${lab.vsphere.datastore}`)).backups;
    assert.equal((entry.manifest.source as SnapshotSource).consistency, 'crash-consistent');
    assert.ok((await logLines(writer)) > 0);
  });
});
