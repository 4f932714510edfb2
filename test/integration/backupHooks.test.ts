import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { CancelledError } from '../../src/core/abort';
import { listBackups } from '../../src/core/backup/layout';
import { Reporter } from '../../src/core/backup/reporter';
import { runBackupJob } from '../../src/core/backup/runJob';
import { SNAPSHOT_PREFIX, findVm } from '../../src/core/backup/snapshotMode';
import { listSnapshots } from '../../src/core/vsphere/snapshots';
import { BackupSuite, closeBackupSuite, openBackupSuite, runCli } from './backupLab';

const run = promisify(execFile);
const HOST = 'hooks-it-host';
const tag = `bh-${process.pid.toString(36)}`;

/** Per-job hooks: commands in named containers before and after the snapshot or archive. */
describe('backup hooks', { timeout: 300_000 }, () => {
  let suite: BackupSuite;
  const volume = `${tag}-v`;
  const db = `${tag}-db`;
  const docker = (...args: string[]) => suite.docker(...args);

  before(async () => {
    suite = await openBackupSuite(HOST, 'vdvs-hooks-it-');
    await docker('volume', 'create', '--driver', 'vsphere', '--name', volume, '-o', 'size=64mb', '-o', 'attach-as=persistent');
    suite.volumes.push(volume);
    suite.containers.push(db);
    await docker('run', '-d', '--name', db, '--network', 'none', '-v', `${volume}:/d`, 'alpine:latest', 'sleep', '1d');
  });

  after(() => closeBackupSuite(suite));

  /** Runs one job `hooked` of the volume (archive unless `job` says otherwise) with the CLI. */
  async function backup(job: Record<string, unknown>): Promise<{ code: number | null; err: string }> {
    const config = JSON.parse(await fs.readFile(suite.configFile, 'utf8'));
    config.jobs = [{ name: 'hooked', dockerHost: HOST, volumes: [volume], mode: 'archive', destination: suite.dest, retain: 5, ...job }];
    const file = join(suite.dest, 'hooked.json');
    await fs.writeFile(file, JSON.stringify(config));
    return runCli(suite.lab, ['backup', '--config', file]);
  }
  const exists = (file: string) =>
    docker('exec', db, 'test', '-e', file).then(
      () => true,
      () => false,
    );
  const backups = async () => (await listBackups(suite.dest, HOST, `${volume}@${suite.lab.vsphere.datastore}`)).backups;

  it('archive mode: the pre hook runs before the tar (its dump is in it), the post hook after; output and exit codes in the report', async () => {
    const r = await backup({
      hooks: {
        pre: [{ container: db, command: ['sh', '-c', 'echo dumping; echo dump > /d/dump.sql; sync'] }],
        post: [{ container: db, command: ['sh', '-c', 'rm /d/dump.sql; echo cleaned'] }],
      },
    });
    assert.equal(r.code, 0, r.err);
    assert.match(
      r.err,
      new RegExp(
        `Running the pre hook 1 in container ${db}: sh -c echo dumping.*\\n.*${db}> dumping\\n.*The pre hook 1 exited with code 0`,
      ),
    );
    assert.match(
      r.err,
      new RegExp(`Running the post hook 1 in container ${db}.*\\n.*${db}> cleaned\\n.*The post hook 1 exited with code 0`),
    );
    assert.ok(
      r.err.indexOf('pre hook 1 exited') < r.err.indexOf('Writing volume.tar') &&
        r.err.indexOf('Writing volume.tar') < r.err.indexOf('Running the post hook'),
      r.err,
    );
    const [entry] = await backups();
    const listing = (await run('tar', ['-tf', join(entry.dir, 'volume.tar')])).stdout;
    assert.match(listing, /^\.\/dump\.sql$/m, 'what the pre hook wrote is in the archive');
    assert.equal(await exists('/d/dump.sql'), false, 'the post hook ran');
  });

  it('a failing pre hook aborts: nothing is backed up, the post hook still runs', async () => {
    const before = (await backups()).length;
    const r = await backup({
      hooks: {
        pre: [{ container: db, command: ['sh', '-c', 'echo cannot lock the tables >&2; exit 3'] }],
        post: [{ container: db, command: ['touch', '/d/post-ran'] }],
      },
    });
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, new RegExp(`${db}> cannot lock the tables`));
    assert.match(
      r.err,
      new RegExp(
        `The pre hook 1 \\(sh -c echo cannot lock the tables >&2; exit 3\\) failed in container ${db} with exit code 3: nothing was backed up\\.`,
      ),
    );
    assert.equal((await backups()).length, before);
    assert.equal((await listBackups(suite.dest, HOST, `${volume}@${suite.lab.vsphere.datastore}`)).leftovers.length, 0);
    assert.equal(await exists('/d/post-ran'), true, 'the post hook ran after the failure');
    await docker('exec', db, 'rm', '/d/post-ran');
  });

  it('snapshot mode: a pre hook in a container that does not exist aborts before any snapshot; the post hook runs after the snapshot, before the download', async () => {
    const { session } = suite;
    const vm = (await findVm(session, suite.lab.vsphere.vm)).vm.ref;
    const ours = async () => (await listSnapshots(session, vm)).filter((s) => s.name.startsWith(SNAPSHOT_PREFIX));
    const refused = await backup({
      mode: 'snapshot',
      hooks: { pre: [{ container: `${tag}-nosuch`, command: ['true'] }], post: [{ container: db, command: ['touch', '/d/post-ran'] }] },
    });
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
  });

  it('cancelling during a pre hook: the backup is cancelled and the post hook still runs', async () => {
    const { conn } = suite;
    const steps: string[] = [];
    const reporter: Reporter = { step: (m) => steps.push(m), progress: () => undefined, warn: (m) => steps.push(`warn: ${m}`) };
    const abort = new AbortController();
    const job = {
      dockerHost: HOST,
      volumes: [volume],
      mode: 'archive' as const,
      destination: suite.dest,
      retain: 5,
      hooks: { pre: [{ container: db, command: ['sleep', '30'] }], post: [{ container: db, command: ['touch', '/d/cancel-post'] }] },
    };
    const running = runBackupJob(job, { conn, reporter, signal: abort.signal });
    for (let i = 0; !steps.some((s) => s.startsWith('Running the pre hook 1')); i++) {
      assert.ok(i < 600, `the pre hook did not start in 30 s: ${steps.join('\n')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    abort.abort();
    await assert.rejects(running, CancelledError);
    assert.equal(await exists('/d/cancel-post'), true, `the post hook ran: ${steps.join('\n')}`);
  });
});
