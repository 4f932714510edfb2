import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { listBackups } from '../../src/core/backup/layout';
import { SILENT } from '../../src/core/backup/reporter';
import { restoreBackup } from '../../src/core/backup/restore';
import { runBackupJob } from '../../src/core/backup/runJob';
import { DockerConnection } from '../../src/core/docker/connection';
import { UserError } from '../../src/core/errors';
import { connectToHost } from '../../src/core/vsphere/connect';
import { ensureVolumeLab, labDocker, VolumeLab } from '../fixtures/volumeLab';
import { StallingProxy } from './stallingProxy';

const run = promisify(execFile);
const HOST = 'fidelity-it-host';
const tag = `fid-${process.pid.toString(36)}`;

describe('archive backups keep what the volume holds, and fail loudly when they cannot (lab dockerd)', { timeout: 600_000 }, () => {
  let lab: VolumeLab;
  let docker: (...args: string[]) => Promise<string>;
  let conn: DockerConnection;
  let dest: string;
  const volumes: string[] = [];
  const containers: string[] = [];

  async function newVolume(suffix: string, size = '64mb', opts: string[] = []): Promise<string> {
    const name = `${tag}-${suffix}`;
    await docker('volume', 'create', '--driver', 'vsphere', '--name', name, '-o', `size=${size}`, ...opts);
    volumes.push(name);
    return name;
  }
  const sh = (volume: string, script: string) => docker('run', '--rm', '--network', 'none', '-v', `${volume}:/d`, 'alpine:latest', 'sh', '-c', script);
  const full = (volume: string) => `${volume}@${lab.vsphere.datastore}`;

  before(async () => {
    lab = await ensureVolumeLab();
    docker = labDocker(lab);
    conn = await DockerConnection.open({ id: HOST, name: HOST, endpoint: lab.docker.host }, { timeoutMs: 120_000 });
    dest = await fs.mkdtemp(join(tmpdir(), 'vdvs-fidelity-it-'));
  });

  after(async () => {
    for (const c of containers) await docker('rm', '-f', c).catch(() => undefined);
    for (const v of volumes) await docker('volume', 'rm', '-f', v).catch(() => undefined);
    conn?.close();
    if (dest) await fs.rm(dest, { recursive: true, force: true });
  });

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

    it('a tar GET that stops sending fails with TIMEOUT naming the host and volume, leaves no partial and starts the stopped container again', { timeout: 60_000 }, async () => {
      const user = `${tag}-user`;
      containers.push(user);
      // stops at once on TERM (a bare `sleep` as PID 1 would make docker stop wait its whole grace time)
      await docker('run', '-d', '--name', user, '--network', 'none', '-v', `${vol}:/d`, 'alpine:latest', 'sh', '-c', 'trap "exit 0" TERM; while :; do sleep 1; done');
      const c = await through('archive-get');
      const summary = await runBackupJob({ dockerHost: HOST, volumes: [vol], mode: 'archive', destination: join(dest, 'idle'), retain: 2, stopContainers: true }, { conn: c, reporter: SILENT });
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
    });

    it('a restore upload the daemon stops reading fails with TIMEOUT naming the host and volume', { timeout: 60_000 }, async () => {
      const summary = await runBackupJob({ dockerHost: HOST, volumes: [vol], mode: 'archive', destination: join(dest, 'idle-r'), retain: 2 }, { conn, reporter: SILENT });
      assert.equal(summary.ok, true, JSON.stringify(summary.results));
      const target = await newVolume('idle-r');
      const c = await through('archive-put');
      await assert.rejects(
        restoreBackup({ conn: c, backupDir: summary.results[0].entry!.dir, volume: target, target: 'existing', reporter: SILENT }),
        (e: unknown) => e instanceof UserError && e.code === 'TIMEOUT' && e.message.includes(HOST) && e.message.includes(`volume ${target}`),
      );
      assert.equal(proxy!.stalls > 0, true, 'the proxy stalled the upload');
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
      const summary = await runBackupJob({ dockerHost: HOST, volumes: [vol], mode: 'archive', destination: small, retain: 2 }, { conn, reporter: SILENT });
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
      const session = await connectToHost({ id: 'esx', name: 'esx', url: lab.vsphere.url, user: lab.vsphere.user, thumbprint: lab.vsphere.thumbprint }, lab.vsphere.password, { timeoutMs: 60_000 });
      try {
        await assert.rejects(
          runBackupJob({ dockerHost: HOST, volumes: [vol], mode: 'snapshot', destination: small, retain: 2, vm: lab.vsphere.vm }, { conn, vsphere: async () => session, reporter: SILENT }),
          (e: unknown) => (noSpace((e as Error).message, vol, /needs about 64\.\d MiB/), true),
        );
      } finally {
        await session.close();
        await docker('rm', '-f', user);
      }
      const listed = await listBackups(small, HOST, full(vol));
      assert.deepEqual([listed.backups.length, listed.leftovers.length], [0, 0]);
    });
  });
});
