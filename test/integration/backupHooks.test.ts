import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { CancelledError } from '../../src/core/abort';
import { listBackups } from '../../src/core/backup/layout';
import { Reporter } from '../../src/core/backup/reporter';
import { runBackupJob } from '../../src/core/backup/runJob';
import { SNAPSHOT_PREFIX, findVm } from '../../src/core/backup/snapshotMode';
import { DockerConnection } from '../../src/core/docker/connection';
import { connectToHost } from '../../src/core/vsphere/connect';
import { listSnapshots } from '../../src/core/vsphere/snapshots';
import { ensureVolumeLab, labDocker, VolumeLab } from '../fixtures/volumeLab';

const run = promisify(execFile);
const CLI = join(__dirname, '../../../dist/cli.js');
const HOST = 'hooks-it-host';
const tag = `bh-${process.pid.toString(36)}`;

/** Per-job hooks: commands in named containers before and after the snapshot or archive. */
describe('backup hooks', { timeout: 300_000 }, () => {
  let lab: VolumeLab;
  let docker: (...args: string[]) => Promise<string>;
  let dest: string;
  let configFile: string;
  const volume = `${tag}-v`;
  const db = `${tag}-db`;

  before(async () => {
    lab = await ensureVolumeLab();
    docker = labDocker(lab);
    dest = await fs.mkdtemp(join(tmpdir(), 'vdvs-hooks-it-'));
    configFile = join(dest, 'vdvs.json');
    await docker('volume', 'create', '--driver', 'vsphere', '--name', volume, '-o', 'size=64mb', '-o', 'attach-as=persistent');
    await docker('run', '-d', '--name', db, '--network', 'none', '-v', `${volume}:/d`, 'alpine:latest', 'sleep', '1d');
  });

  after(async () => {
    await docker('rm', '-f', db).catch(() => undefined);
    await docker('volume', 'rm', '-f', volume).catch(() => undefined);
    if (dest) await fs.rm(dest, { recursive: true, force: true });
  });

  async function backup(job: Record<string, unknown>): Promise<{ code: number | null; err: string }> {
    await fs.writeFile(configFile, JSON.stringify({
      dockerHosts: [{ name: HOST, endpoint: lab.docker.host, esxiHost: 'esx', vm: lab.vsphere.vm }],
      esxiHosts: [{ name: 'esx', url: lab.vsphere.url, user: lab.vsphere.user, thumbprint: lab.vsphere.thumbprint }],
      jobs: [{ name: 'hooked', dockerHost: HOST, volumes: [volume], mode: 'archive', destination: dest, retain: 5, ...job }],
      requestTimeoutSeconds: 60,
    }));
    const child = spawn(process.execPath, [CLI, 'backup', '--config', configFile], { env: { ...process.env, VDVS_ESXI_PASSWORD_ESX: lab.vsphere.password } });
    let err = '';
    child.stdout.resume();
    child.stderr.on('data', (d) => (err += d));
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    return { code, err };
  }
  const exists = (file: string) => docker('exec', db, 'test', '-e', file).then(() => true, () => false);
  const backups = async () => (await listBackups(dest, HOST, `${volume}@${lab.vsphere.datastore}`)).backups;

  it('archive mode: the pre hook runs before the tar (its dump is in it), the post hook after; output and exit codes in the report', async () => {
    const r = await backup({ hooks: {
      pre: [{ container: db, command: ['sh', '-c', 'echo dumping; echo dump > /d/dump.sql; sync'] }],
      post: [{ container: db, command: ['sh', '-c', 'rm /d/dump.sql; echo cleaned'] }],
    } });
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, new RegExp(`Running the pre hook 1 in container ${db}: sh -c echo dumping.*\\n.*${db}> dumping\\n.*The pre hook 1 exited with code 0`));
    assert.match(r.err, new RegExp(`Running the post hook 1 in container ${db}.*\\n.*${db}> cleaned\\n.*The post hook 1 exited with code 0`));
    assert.ok(r.err.indexOf('pre hook 1 exited') < r.err.indexOf('Writing volume.tar') && r.err.indexOf('Writing volume.tar') < r.err.indexOf('Running the post hook'), r.err);
    const [entry] = await backups();
    const listing = (await run('tar', ['-tf', join(entry.dir, 'volume.tar')])).stdout;
    assert.match(listing, /^\.\/dump\.sql$/m, 'what the pre hook wrote is in the archive');
    assert.equal(await exists('/d/dump.sql'), false, 'the post hook ran');
  });

  it('a failing pre hook aborts: nothing is backed up, the post hook still runs', async () => {
    const before = (await backups()).length;
    const r = await backup({ hooks: {
      pre: [{ container: db, command: ['sh', '-c', 'echo cannot lock the tables >&2; exit 3'] }],
      post: [{ container: db, command: ['touch', '/d/post-ran'] }],
    } });
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, new RegExp(`${db}> cannot lock the tables`));
    assert.match(r.err, new RegExp(`The pre hook 1 \\(sh -c echo cannot lock the tables >&2; exit 3\\) failed in container ${db} with exit code 3: nothing was backed up\\.`));
    assert.equal((await backups()).length, before);
    assert.equal((await listBackups(dest, HOST, `${volume}@${lab.vsphere.datastore}`)).leftovers.length, 0);
    assert.equal(await exists('/d/post-ran'), true, 'the post hook ran after the failure');
    await docker('exec', db, 'rm', '/d/post-ran');
  });

  it('snapshot mode: a pre hook in a container that does not exist aborts before any snapshot; the post hook runs after the snapshot, before the download', async () => {
    const session = await connectToHost({ id: 'esx', name: 'esx', url: lab.vsphere.url, user: lab.vsphere.user, thumbprint: lab.vsphere.thumbprint }, lab.vsphere.password, { timeoutMs: 60_000 });
    try {
      const vm = (await findVm(session, lab.vsphere.vm)).vm.ref;
      const ours = async () => (await listSnapshots(session, vm)).filter((s) => s.name.startsWith(SNAPSHOT_PREFIX));
      const refused = await backup({ mode: 'snapshot', hooks: { pre: [{ container: `${tag}-nosuch`, command: ['true'] }], post: [{ container: db, command: ['touch', '/d/post-ran'] }] } });
      assert.equal(refused.code, 1, refused.err);
      assert.match(refused.err, new RegExp(`The pre hook 1 \\(true\\) could not run in container ${tag}-nosuch: .*No such container`));
      assert.doesNotMatch(refused.err, /Taking .*snapshot/);
      assert.deepEqual(await ours(), []);
      assert.equal(await exists('/d/post-ran'), true);
      const r = await backup({ mode: 'snapshot', hooks: { post: [{ container: db, command: ['echo', 'thawed'] }] } });
      assert.equal(r.code, 0, r.err);
      const snapshotAt = r.err.search(/Taking quiesced snapshot/);
      const postAt = r.err.indexOf(`${db}> thawed`);
      const downloadAt = r.err.search(/Downloading .*-flat\.vmdk/);
      assert.ok(snapshotAt >= 0 && snapshotAt < postAt && postAt < downloadAt, r.err);
    } finally {
      await session.close();
    }
  });

  it('cancelling during a pre hook: the backup is cancelled and the post hook still runs', async () => {
    const conn = await DockerConnection.open({ id: HOST, name: HOST, endpoint: lab.docker.host }, { timeoutMs: 60_000 });
    try {
      const steps: string[] = [];
      const reporter: Reporter = { step: (m) => steps.push(m), progress: () => undefined, warn: (m) => steps.push(`warn: ${m}`) };
      const abort = new AbortController();
      const job = { dockerHost: HOST, volumes: [volume], mode: 'archive' as const, destination: dest, retain: 5, hooks: { pre: [{ container: db, command: ['sleep', '30'] }], post: [{ container: db, command: ['touch', '/d/cancel-post'] }] } };
      const running = runBackupJob(job, { conn, reporter, signal: abort.signal });
      for (let i = 0; !steps.some((s) => s.startsWith('Running the pre hook 1')); i++) {
        assert.ok(i < 600, `the pre hook did not start in 30 s: ${steps.join('\n')}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      abort.abort();
      await assert.rejects(running, CancelledError);
      assert.equal(await exists('/d/cancel-post'), true, `the post hook ran: ${steps.join('\n')}`);
    } finally {
      conn.close();
    }
  });
});
