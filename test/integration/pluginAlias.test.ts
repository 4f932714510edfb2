import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { listBackups } from '../../src/core/backup/layout';
import { DockerConnection } from '../../src/core/docker/connection';
import { createVsphereVolume, listVsphereVolumes } from '../../src/core/vdvs/inventory';
import { ensureVolumeLab, labDocker, retryLabTransient, VolumeLab } from '../fixtures/volumeLab';
import { runCli } from './backupLab';

/**
 * The vDVS plugin installed under another alias than `vsphere` (`docker plugin install --alias vdvs`,
 * what vdvs.plugin.alias and the CLI config's `pluginAlias` are for): volumes are created, listed and
 * backed up through it. The lab's `vsphere` plugin is disabled meanwhile (so nothing can fall back to
 * it) and enabled again after.
 */
const ALIAS = 'vdvs';
const HOST = 'alias-it-host';
const tag = `pa6-${process.pid.toString(36)}`;

describe('the plugin under another alias', { timeout: 300_000 }, () => {
  let lab: VolumeLab;
  let docker: (...args: string[]) => Promise<string>;
  let conn: DockerConnection;
  let dest: string;
  let vsphereWasEnabled = false;
  const volumes: string[] = [];

  before(async () => {
    lab = await ensureVolumeLab();
    docker = labDocker(lab);
    const installed = await docker('plugin', 'inspect', '--format', '{{.Enabled}}', ALIAS).then(
      (s) => s.trim(),
      () => undefined,
    );
    if (installed === undefined) await docker('plugin', 'install', '--grant-all-permissions', '--alias', ALIAS, lab.plugin.ref);
    else if (installed === 'false') await docker('plugin', 'enable', ALIAS);
    vsphereWasEnabled = (await docker('plugin', 'inspect', '--format', '{{.Enabled}}', lab.plugin.alias)).trim() === 'true';
    if (vsphereWasEnabled) {
      // Docker counts every volume it knows as a use; forced only when no container runs, so no mount is cut
      await docker('plugin', 'disable', lab.plugin.alias).catch(async (err) => {
        const running = (await docker('ps', '-q')).trim();
        if (!/is in use/.test(String(err.stderr)) || running) throw err;
        await docker('plugin', 'disable', '-f', lab.plugin.alias);
      });
    }
    const options = { timeoutMs: 120_000, pluginAlias: ALIAS };
    conn = await DockerConnection.open({ id: HOST, name: HOST, endpoint: lab.docker.host }, options);
    dest = await fs.mkdtemp(join(tmpdir(), 'vdvs-alias-it-'));
  });

  after(async () => {
    for (const v of volumes) await retryLabTransient(() => docker('volume', 'rm', '-f', v)).catch(() => undefined);
    conn?.close();
    await docker?.('plugin', 'disable', '-f', ALIAS).catch(() => undefined);
    await docker?.('plugin', 'rm', '-f', ALIAS).catch(() => undefined);
    if (vsphereWasEnabled) await docker('plugin', 'enable', lab.plugin.alias);
    if (dest) await fs.rm(dest, { recursive: true, force: true });
  });

  it('creates a volume with the alias as its driver, and lists it', async () => {
    const vol = `${tag}-made`;
    volumes.push(vol);
    await retryLabTransient(() => createVsphereVolume(conn, vol, { size: '64mb' }));
    assert.equal(JSON.parse(await docker('volume', 'inspect', vol))[0].Driver, `${ALIAS}:latest`);
    const { entries, failures } = await listVsphereVolumes(conn);
    assert.deepEqual(failures, []);
    assert.ok(
      entries.some((e) => e.name === `${vol}@${lab.vsphere.datastore}`),
      `listed: ${entries.map((e) => e.name).join(', ') || 'nothing'}`,
    );
  });

  it('the CLI (pluginAlias in the config) backs up a volume named in full and by its short name into the same vol@datastore folder', async () => {
    const vol = `${tag}-bk`;
    volumes.push(vol);
    await retryLabTransient(() => docker('volume', 'create', '--driver', ALIAS, '--name', vol, '-o', 'size=64mb'));
    const config = join(dest, 'vdvs.json');
    await fs.writeFile(
      config,
      JSON.stringify({
        dockerHosts: [{ name: HOST, endpoint: lab.docker.host, pluginAlias: ALIAS }],
        jobs: [
          { name: 'full', dockerHost: HOST, volumes: [`${vol}@${lab.vsphere.datastore}`], destination: dest, retain: 5 },
          { name: 'short', dockerHost: HOST, volumes: [vol], destination: dest, retain: 5 },
        ],
      }),
    );
    const { code, out, err } = await runCli(lab, ['backup', '--config', config, '--quiet']);
    assert.equal(code, 0, out + err);
    const { backups } = await listBackups(dest, HOST, `${vol}@${lab.vsphere.datastore}`);
    assert.equal(backups.length, 2, `${out}\nunder ${dest}/${HOST}: ${(await fs.readdir(join(dest, HOST)).catch(() => [])).join(', ')}`);
    for (const b of backups) {
      assert.equal(b.manifest.volume.driver, `${ALIAS}:latest`);
      assert.equal(b.manifest.volume.options.size, '64mb', `the options a restore recreates the volume with, from ${b.dir}`);
    }
  });
});
