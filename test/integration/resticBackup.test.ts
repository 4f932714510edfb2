import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ResticRepository } from '../../src/core/backup/restic/resticCli';
import { resticRepository } from '../../src/core/backup/restic/repositorySecrets';
import { ResticStore } from '../../src/core/backup/restic/resticStore';
import { SILENT } from '../../src/core/backup/reporter';
import { runBackupJob } from '../../src/core/backup/runJob';
import { DockerConnection } from '../../src/core/docker/connection';
import { UserError } from '../../src/core/errors';
import { readResticLab, uniqueName } from '../fixtures/resticLab';
import { VolumeLab } from '../fixtures/volumeLab';
import { BackupSuite, closeBackupSuite, fillScript, openBackupSuite, runCli, spawnCli, volumeFileHashes } from './backupLab';

const HOST = 'restic-it-host';
const tag = `rs${process.pid.toString(36)}`;

/** A restic repository the test can reach: its URL as a job names it, the secrets restic needs, the -o options. */
interface Backend {
  name: string;
  url: string;
  secrets: { password: string; restUser?: string; restPassword?: string; env?: Record<string, string> };
  options?: string[];
}

/**
 * A local repository of this test's own, and the lab's SFTP, REST and S3 ones (lab.json `restic`,
 * lab/pieces/restic.mjs), each under a path of this run. Jobs name a repository without secrets: the
 * REST server's user and password and the S3 keys are the repository's secrets, as a user keeps them.
 */
async function backends(dest: string): Promise<Backend[]> {
  const lab = await readResticLab();
  const sub = uniqueName('engine');
  const out: Backend[] = [{ name: 'local', url: join(dest, 'repo'), secrets: { password: 'local-repo-pw' } }];
  if (lab.sftp)
    out.push({
      name: 'sftp',
      url: `${lab.sftp.url}/${sub}`,
      secrets: { password: lab.password },
      options: lab.sftp.options.filter((o) => o !== '-o'),
    });
  out.push({
    name: 'rest',
    url: `rest:${lab.rest.baseUrl.replace(/\/$/, '')}/${sub}/`,
    secrets: { password: lab.password, restUser: lab.rest.user, restPassword: lab.rest.password },
  });
  // restic takes a CA for https only as --cacert or SSL_CERT_FILE: the environment, beside the keys
  if (lab.s3)
    out.push({
      name: 's3',
      url: `${lab.s3.url}/${sub}`,
      secrets: { password: lab.password, env: { ...lab.s3.env, SSL_CERT_FILE: lab.s3.caCertPath } },
    });
  return out;
}

/** The repository as the engine gives it to restic (resticRepository: a REST server's credentials put in the URL). */
function repoOf(b: Backend): ResticRepository {
  return resticRepository(b.url, b.secrets, b.options ? { options: b.options } : {});
}

/** Plain restic on a backend, as a user without the extension would run it (the password in the environment). */
function plainRestic(b: Backend, args: string[], input?: Buffer): { code: number | null; out: Buffer; err: string } {
  const repo = repoOf(b);
  const r = spawnSync('restic', [...(b.options ?? []).flatMap((o) => ['-o', o]), ...args], {
    env: { ...process.env, ...b.secrets.env, RESTIC_REPOSITORY: repo.url, RESTIC_PASSWORD: repo.password },
    input,
    maxBuffer: 1 << 30,
  });
  return { code: r.status, out: r.stdout, err: r.stderr.toString() };
}

describe('restic repositories as backup destinations', { timeout: 900_000 }, () => {
  let suite: BackupSuite;
  let lab: VolumeLab;
  let docker: BackupSuite['docker'];
  let conn: DockerConnection;
  let all: Backend[];
  let secretsFile: string;

  const full = (volume: string) => `${volume}@${lab.vsphere.datastore}`;
  async function newVolume(suffix: string, opts: string[] = []): Promise<string> {
    const name = `${tag}-${suffix}`;
    await docker('volume', 'create', '--driver', 'vsphere', '--name', name, '-o', 'size=64mb', ...opts);
    suite.volumes.push(name);
    return name;
  }
  /** A CLI config with one job to `b`, and the secrets file naming every backend's secrets. */
  async function config(name: string, b: Backend, job: Record<string, unknown>, top: Record<string, unknown> = {}): Promise<string> {
    const base = JSON.parse(await fs.readFile(suite.configFile, 'utf8')) as Record<string, unknown>;
    const file = join(suite.dest, `${name}.json`);
    const jobs = [{ name, dockerHost: HOST, repository: b.url, ...(b.options ? { resticOptions: b.options } : {}), ...job }];
    await fs.writeFile(file, JSON.stringify({ ...base, ...top, jobs }));
    return file;
  }
  const cli = (args: string[]) => runCli(lab, [...args, '--secrets', secretsFile]);
  const snapshotsOf = (b: Backend) => {
    const r = plainRestic(b, ['snapshots', '--json']);
    assert.equal(r.code, 0, r.err);
    return JSON.parse(r.out.toString()) as { id: string; tags?: string[]; paths: string[] }[];
  };

  before(async () => {
    suite = await openBackupSuite(HOST, 'vdvs-restic-it-');
    ({ lab, docker, conn } = suite);
    all = await backends(suite.dest);
    for (const b of all) {
      const init = plainRestic(b, ['init']);
      assert.ok(init.code === 0 || /already (exists|initialized)/.test(init.err), `${b.name}: ${init.err}`);
    }
    secretsFile = join(suite.dest, 'secrets.json');
    await fs.writeFile(secretsFile, JSON.stringify({ repositories: Object.fromEntries(all.map((b) => [b.url, b.secrets])) }), {
      mode: 0o600,
    });
  });
  after(() => closeBackupSuite(suite));

  it('archive mode through every backend: vdvs ls lists it, restore gives every file its sha256, verify passes', async () => {
    const vol = await newVolume('arch');
    await docker('run', '--rm', '--network', 'none', '-v', `${vol}:/d`, 'alpine:latest', 'sh', '-c', fillScript(256));
    const before = await volumeFileHashes(conn, vol);
    for (const b of all) {
      const cfg = await config(`arch-${b.name}`, b, { volumes: [vol], mode: 'archive', retain: 3 });
      const r = await cli(['backup', '--config', cfg]);
      assert.equal(r.code, 0, `${b.name}: ${r.err}`);
      const ls = await cli(['ls', '--config', cfg]);
      assert.equal(ls.code, 0, ls.err);
      const ref = new RegExp(`\\S+#${HOST}/${full(vol).replace(/[.@]/g, '\\$&')}/\\S+`).exec(ls.out)?.[0];
      assert.ok(ref, `${b.name}: vdvs ls lists the backup:\n${ls.out}`);
      assert.ok(
        !ref.includes(b.secrets.password) && !(b.secrets.restPassword && ref.includes(b.secrets.restPassword)),
        'no secret in a listing',
      );
      const verified = await cli(['verify', '--config', cfg, ref]);
      assert.equal(verified.code, 0, `${b.name}: ${verified.out}${verified.err}`);
      const restored = `${tag}-arch-${b.name}`;
      suite.volumes.push(restored);
      const rr = await cli(['restore', '--config', cfg, '--backup', ref, '--volume', restored, '--yes']);
      assert.equal(rr.code, 0, `${b.name}: ${rr.err}`);
      assert.deepEqual(await volumeFileHashes(conn, restored), before, `${b.name}: every file restored`);
    }
  });

  it('snapshot mode through every backend: descriptor, flat and sidecar stored by run, restored with the same sha256 for every file', async () => {
    const vol = await newVolume('snap', ['-o', 'attach-as=persistent']);
    await docker('run', '--rm', '--network', 'none', '-v', `${vol}:/d`, 'alpine:latest', 'sh', '-c', `${fillScript(128)} && sync`);
    const before = await volumeFileHashes(conn, vol);
    // a VM snapshot holds attached disks only: a container keeps the volume attached during the backups
    const holder = `${tag}-snap-c`;
    suite.containers.push(holder);
    await docker('run', '-d', '--name', holder, '--network', 'none', '-v', `${vol}:/d`, 'alpine:latest', 'sleep', '1d');
    for (const b of all) {
      const cfg = await config(`snap-${b.name}`, b, { volumes: [vol], mode: 'snapshot', retain: 3, esxiHost: 'esx', vm: lab.vsphere.vm });
      const r = await cli(['backup', '--config', cfg]);
      assert.equal(r.code, 0, `${b.name}: ${r.err}`);
      const store = new ResticStore(repoOf(b));
      const [entry] = (await store.list(HOST, full(vol))).backups;
      assert.deepEqual(entry.manifest.files.map((f) => f.role).sort(), ['descriptor', 'flat', 'sidecar']);
      const mine = snapshotsOf(b).filter((s) =>
        s.tags?.some((t) => t.startsWith('vdvs-backup=') && entry.dir.endsWith(decodeURIComponent(t.slice(12)))),
      );
      assert.equal(mine.length, 4, `${b.name}: three disk files and the manifest, one run`);
      const restored = `${tag}-snap-${b.name}`;
      suite.volumes.push(restored);
      const rr = await cli(['restore', '--config', cfg, '--backup', entry.dir, '--volume', restored, '--esxi-host', 'esx', '--yes']);
      assert.equal(rr.code, 0, `${b.name}: ${rr.err}`);
      assert.deepEqual(await volumeFileHashes(conn, restored), before, `${b.name}: every file restored`);
    }
    await docker('rm', '-f', holder);
  });

  it("the README's plain-restic restore: restic dump … | docker run … tar -x gives back every file", async () => {
    const b = all[0];
    const vol = await newVolume('plain');
    await docker('run', '--rm', '--network', 'none', '-v', `${vol}:/d`, 'alpine:latest', 'sh', '-c', fillScript(64));
    const before = await volumeFileHashes(conn, vol);
    const r = await cli(['backup', '--config', await config('plain', b, { volumes: [vol], mode: 'archive', retain: 3 })]);
    assert.equal(r.code, 0, r.err);
    // README "Restoring without the extension"
    const snaps = snapshotsOf(b).filter((s) => s.tags?.includes(`vdvs-volume=${full(vol)}`) && s.paths[0] === '/volume.tar');
    assert.equal(snaps.length, 1);
    const tar = plainRestic(b, ['dump', snaps[0].id, '/volume.tar']);
    assert.equal(tar.code, 0, tar.err);
    const restored = `${tag}-plain-r`;
    await docker('volume', 'create', '--driver', 'vsphere', '--name', restored, '-o', 'size=64mb');
    suite.volumes.push(restored);
    const untar = spawnSync(
      'docker',
      [
        '-H',
        lab.docker.host,
        'run',
        '--rm',
        '-i',
        '--network',
        'none',
        '-v',
        `${restored}:/data`,
        'alpine:latest',
        'tar',
        '-x',
        '-C',
        '/data',
      ],
      {
        input: tar.out,
      },
    );
    assert.equal(untar.status, 0, untar.stderr.toString());
    assert.deepEqual(await volumeFileHashes(conn, restored), before);
  });

  it('retention forgets only our snapshots of that volume and mode, keeping N', async () => {
    const b = all[0];
    const foreign = plainRestic(b, ['backup', '--stdin', '--stdin-filename', 'mine.txt', '--tag', 'nightly'], Buffer.from('not ours'));
    assert.equal(foreign.code, 0, foreign.err);
    const alsoForeign = plainRestic(b, ['backup', '--stdin', '--stdin-filename', 'volume.tar', '--host', HOST], Buffer.from('untagged'));
    assert.equal(alsoForeign.code, 0, alsoForeign.err);
    const vol = await newVolume('ret');
    await docker('run', '--rm', '--network', 'none', '-v', `${vol}:/d`, 'alpine:latest', 'sh', '-c', fillScript(16));
    const store = new ResticStore(repoOf(b));
    const made: string[] = [];
    for (let i = 0; i < 3; i++) {
      const s = await runBackupJob(
        { dockerHost: HOST, volumes: [vol], mode: 'archive', repository: b.url, retain: 2 },
        { conn, store, reporter: SILENT },
      );
      assert.equal(s.ok, true, JSON.stringify(s.results));
      made.push(s.results[0].entry!.dir);
    }
    const { backups, leftovers } = await store.list(HOST, full(vol));
    assert.deepEqual(backups.map((x) => x.dir).sort(), made.slice(-2).sort());
    assert.equal(leftovers.length, 0, 'the pruned backups leave no files without a manifest');
    const ids = snapshotsOf(b).map((s) => s.id);
    for (const kept of [foreign, alsoForeign]) {
      const id = /snapshot ([0-9a-f]{8}) saved/.exec(kept.out.toString())?.[1];
      assert.ok(id && ids.some((x) => x.startsWith(id)), 'snapshots without our tags are never forgotten');
    }
  });

  it('a wrong password, an unreachable repository and a missing restic each say so and store nothing', async () => {
    const b = all[0];
    const vol = await newVolume('bad');
    const count = snapshotsOf(b).length;
    const wrong = join(suite.dest, 'wrong.json');
    await fs.writeFile(wrong, JSON.stringify({ repositories: { [b.url]: { password: 'not-the-password' } } }), { mode: 0o600 });
    const cfg = await config('bad', b, { volumes: [vol], mode: 'archive', retain: 3 });
    const pw = await runCli(lab, ['backup', '--config', cfg, '--secrets', wrong]);
    assert.equal(pw.code, 1);
    assert.match(pw.err, new RegExp(`The password of the restic repository ${b.url} is wrong`));
    assert.ok(!pw.err.includes('not-the-password'), 'the password is never printed');
    assert.equal(snapshotsOf(b).length, count, 'nothing stored');

    const gone: Backend = { name: 'gone', url: 'rest:http://127.0.0.1:1/', secrets: { password: 'x' } };
    await fs.writeFile(wrong, JSON.stringify({ repositories: { [gone.url]: gone.secrets } }), { mode: 0o600 });
    const un = await runCli(lab, [
      'backup',
      '--config',
      await config('gone', gone, { volumes: [vol], mode: 'archive', retain: 3 }),
      '--secrets',
      wrong,
    ]);
    assert.equal(un.code, 1);
    assert.match(un.err, /The restic repository rest:http:\/\/127\.0\.0\.1:1\/ cannot be reached: .*connection refused/);

    const missing = await cli([
      'backup',
      '--config',
      await config('missing', b, { volumes: [vol], mode: 'archive', retain: 3 }, { resticPath: '/nonexistent/restic' }),
    ]);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /restic is not installed: \/nonexistent\/restic was not found\..*apt install restic/s);
    const nowhere = join(suite.dest, 'no-repo-here');
    await fs.writeFile(wrong, JSON.stringify({ repositories: { [nowhere]: { password: 'x' } } }), { mode: 0o600 });
    const none = await runCli(lab, ['ls', '--repository', nowhere, '--secrets', wrong]);
    assert.equal(none.code, 1);
    assert.match(none.err, /There is no restic repository at .*no-repo-here/);
    assert.equal(snapshotsOf(b).length, count, 'nothing stored');
  });

  it('a repository locked by another restic: retention says who holds the lock; the backup itself is kept', async () => {
    const b = all[0];
    const vol = await newVolume('lock');
    await docker('run', '--rm', '--network', 'none', '-v', `${vol}:/d`, 'alpine:latest', 'sh', '-c', fillScript(16));
    // a backup that waits for its stdin holds a (non-exclusive) lock; forget --prune needs an exclusive one
    const holder = spawn('restic', ['backup', '--stdin', '--stdin-filename', 'slow'], {
      env: { ...process.env, RESTIC_REPOSITORY: b.url, RESTIC_PASSWORD: b.secrets.password },
    });
    try {
      await new Promise((r) => setTimeout(r, 1500));
      const store = new ResticStore(repoOf(b));
      const job = { dockerHost: HOST, volumes: [vol], mode: 'archive' as const, repository: b.url, retain: 1 };
      const first = await runBackupJob(job, { conn, store, reporter: SILENT });
      assert.equal(first.ok, true, JSON.stringify(first.results));
      await assert.rejects(runBackupJob(job, { conn, store, reporter: SILENT }), (err: unknown) => {
        assert.ok(err instanceof UserError && err.code === 'RESTIC_LOCKED', String(err));
        assert.match(err.message, new RegExp(`is locked by PID ${holder.pid} on `));
        return true;
      });
      assert.equal((await store.list(HOST, full(vol))).backups.length, 2, 'both backups are kept; only retention waits');
    } finally {
      holder.stdin.end();
      await new Promise((r) => holder.on('exit', r));
    }
  });

  it('kill -9 in the middle of a backup leaves only a leftover, which the next run removes', async () => {
    const b = all[0];
    const vol = await newVolume('kill', ['-o', 'size=512mb']);
    await docker(
      'run',
      '--rm',
      '--network',
      'none',
      '-v',
      `${vol}:/d`,
      'alpine:latest',
      'sh',
      '-c',
      'head -c 200000000 /dev/urandom > /d/big',
    );
    const cfg = await config('kill', b, { volumes: [vol], mode: 'archive', retain: 3 });
    const child = spawnCli(lab, ['backup', '--config', cfg, '--secrets', secretsFile]);
    await new Promise<void>((resolve) => child.stderr.on('data', (d: Buffer) => /Writing volume\.tar/.test(d.toString()) && resolve()));
    await new Promise((r) => setTimeout(r, 1000));
    // the CLI's restic child outlives it: left with a closed stdin, it stores what it got (a file without a manifest)
    const orphans = spawnSync('pgrep', ['-P', String(child.pid), 'restic'], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter(Boolean);
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    // the next run at once, while that restic may still hold its lock: the backup goes on
    const early = await cli(['backup', '--config', cfg]);
    assert.equal(early.code, 0, early.err);
    for (let i = 0; i < 600 && orphans.some((pid) => existsSync(`/proc/${pid}`)); i++) await new Promise((r) => setTimeout(r, 200));
    const next = await cli(['backup', '--config', cfg]);
    assert.equal(next.code, 0, next.err);
    const made = [early.out, next.out].map((o) => /-> (\S+)/.exec(o)?.[1]);
    const after = await new ResticStore(repoOf(b)).list(HOST, full(vol));
    assert.deepEqual(after.backups.map((x) => x.dir).sort(), made.sort(), 'only the two finished runs are good, never the killed one');
    assert.equal(after.leftovers.length, 0, 'what the killed run left is removed');
  });
});
