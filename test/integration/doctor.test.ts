import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { DockerHostConfig, EsxiHostConfig } from '../../src/core/config';
import { DockerConnection } from '../../src/core/docker/connection';
import { DoctorTargets } from '../../src/core/doctor/collect';
import { applyFix, runDoctor } from '../../src/core/doctor/doctor';
import { Finding, Fix } from '../../src/core/doctor/findings';
import { SshSession } from '../../src/core/ssh/shellSession';
import { connectToHost } from '../../src/core/vsphere/connect';
import { VsphereSession } from '../../src/core/vsphere/session';
import { ensureVolumeLab, labDocker, VolumeLab } from '../fixtures/volumeLab';
import { runCli } from './backupLab';

const run = promisify(execFile);
const LAB_MJS = join(__dirname, '../../../lab/lab.mjs');
const DEFAULT_TENANT = '11111111-1111-1111-1111-111111111111';
const tag = `dr${process.pid.toString(36)}`;

/** `node lab/lab.mjs fault NAME [VOL]`: what it made, as the JSON line it prints. */
async function fault(name: string, vol?: string): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, [LAB_MJS, 'fault', name, ...(vol ? [vol] : [])], { timeout: 240_000 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}

function sha256(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file)
      .on('data', (c) => h.update(c))
      .on('end', () => resolve(h.digest('hex')))
      .on('error', reject);
  });
}

const once = <T>(open: () => Promise<T>, opened: Promise<T>[]) => {
  let p: Promise<T> | undefined;
  return () => (p ??= (opened.push(open()), opened[opened.length - 1]));
};

/**
 * Each lab fault as vDVS leaves it: the doctor finds it, its fix (confirmed) clears it without
 * touching the VMDK's data (sha256 of the flat extent before and after), and a second doctor run is
 * clean. Against the running lab: the ESX vcsim, the ESXi shell (VIB over SSH) and the lab dockerd.
 */
describe('vDVS Doctor on the lab', { timeout: 900_000, concurrency: 1 }, () => {
  let lab: VolumeLab & { ssh: { knownHostsPath: string }; vsphere: { thumbprint: string }; plugin: { versions: Record<string, string> } };
  let docker: (...args: string[]) => Promise<string>;
  let targets: DoctorTargets;
  const sessions: Promise<VsphereSession>[] = [];
  const conns: Promise<DockerConnection>[] = [];
  const shells: Promise<SshSession>[] = [];
  const flatOf = (vol: string, tenant = DEFAULT_TENANT) => join(lab.vsphere.datastorePath, 'dockvols', tenant, `${vol}-flat.vmdk`);
  const problems = (findings: Finding[]) => findings.filter((f) => f.severity !== 'info').map((f) => f.id);
  const yes = async () => true;

  /** Back to the lab's own versions: VIB 0.21.2 and the plugin of lab.plugin.ref. */
  async function baseVersions() {
    const ssh = lab.ssh;
    const shell = (...argv: string[]) =>
      run('ssh', [
        '-p',
        String(ssh.port),
        '-i',
        ssh.keyPath,
        '-o',
        `UserKnownHostsFile=${ssh.knownHostsPath}`,
        '-o',
        'BatchMode=yes',
        `${ssh.user}@${ssh.host}`,
        ...argv,
      ]);
    const list = (await shell('esxcli', 'software', 'vib', 'list')).stdout;
    if (!list.includes(lab.vib.version)) {
      const remote = `/tmp/base-${tag}.vib`;
      await run('cp', [lab.vib.path, join(ssh.chroot, remote)]);
      await shell('esxcli', 'software', 'vib', 'install', '-v', remote);
      await shell('/etc/init.d/hostd', 'restart');
      await new Promise((r) => setTimeout(r, 4000));
    }
    const version = (
      await docker(
        'plugin',
        'inspect',
        '--format',
        '{{range .Config.Env}}{{if eq .Name "VDVS_VERSION"}}{{.Value}}{{end}}{{end}}',
        lab.plugin.alias,
      )
    ).trim();
    if (version !== lab.plugin.versions.latest) {
      await docker('plugin', 'disable', '-f', lab.plugin.alias);
      await docker('plugin', 'upgrade', '--grant-all-permissions', '--skip-remote-check', lab.plugin.alias, lab.plugin.ref);
      await docker('plugin', 'enable', lab.plugin.alias);
    }
  }

  before(async () => {
    lab = (await ensureVolumeLab()) as typeof lab;
    docker = labDocker(lab);
    const esxi: EsxiHostConfig = {
      id: 'lab-esx',
      name: 'lab-esx',
      url: lab.vsphere.url,
      user: lab.vsphere.user,
      thumbprint: lab.vsphere.thumbprint,
      ssh: {
        host: lab.ssh.host,
        port: lab.ssh.port,
        user: lab.ssh.user,
        auth: 'key',
        keyPath: lab.ssh.keyPath,
        hostKeyFingerprint: lab.ssh.hostKeyFingerprint,
      },
    };
    const host: DockerHostConfig = {
      id: 'lab-docker',
      name: 'lab-docker',
      endpoint: lab.docker.host,
      vmName: lab.vsphere.vm,
      esxiHostId: 'lab-esx',
    };
    targets = {
      timeoutMs: 60_000,
      esxi: [
        {
          config: esxi,
          session: once(() => connectToHost(esxi, lab.vsphere.password, { timeoutMs: 60_000 }), sessions),
          ssh: once(() => SshSession.open({ ...esxi.ssh! }, { timeoutMs: 60_000 }), shells),
        },
      ],
      docker: [
        {
          host,
          vmName: lab.vsphere.vm,
          connection: once(() => DockerConnection.open(host, { timeoutMs: 120_000, pluginAlias: lab.plugin.alias }), conns),
        },
      ],
    };
    await baseVersions();
    // the suites before this one share the lab: their leftovers (e.g. a disk's flat and sidecar whose
    // descriptor a removal under a VM snapshot took alone) are what the doctor exists for: it
    // quarantines them itself, each through its own tested fix, and the lab must then be clean
    for (const f of (await runDoctor(targets)).findings.filter((x) => x.check === 'orphan-files')) {
      const quarantine = f.fixes.find((x) => x.id.startsWith('quarantine'));
      if (quarantine) await applyFix(targets, quarantine.id, yes);
    }
    assert.deepEqual(problems((await runDoctor(targets)).findings), [], 'the lab must start clean');
  });

  after(async () => {
    await baseVersions().catch(() => undefined);
    for (const c of conns) (await c.catch(() => undefined))?.close();
    for (const s of shells) (await s.catch(() => undefined))?.close();
    for (const s of sessions) await (await s.catch(() => undefined))?.close();
  });

  /** The fault's finding is found with `fixId`; the fix clears it; a second run is clean. */
  async function findFixClean(check: string, fixId: (f: Fix) => boolean) {
    const found = (await runDoctor(targets)).findings.filter((f) => f.check === check);
    assert.equal(found.length, 1, `one ${check} finding: ${JSON.stringify(found.map((f) => f.id))}`);
    const fix = found[0].fixes.find(fixId);
    assert.ok(fix, `${found[0].id} offers the fix: ${found[0].fixes.map((f) => f.id).join(', ')}`);
    const declined = await applyFix(targets, fix.id, async () => false);
    assert.equal(declined, undefined, 'nothing is done unless confirmed');
    const outcome = await applyFix(targets, fix.id, yes);
    assert.ok(outcome);
    assert.deepEqual(problems(outcome.after.findings), [], 'the re-check after the fix');
    assert.deepEqual(problems((await runDoctor(targets)).findings), [], 'a second doctor run');
    return found[0];
  }

  it('stale-attach: a record attached with no VM holding the disk; cleared as vDVS clears it, and the volume removes again', async () => {
    const vol = `${tag}-stale`;
    const made = await fault('stale-attach', vol);
    const before = await sha256(flatOf(vol));
    await assert.rejects(docker('volume', 'rm', vol), /in use by VM/, 'vDVS refuses to remove it (#949)');
    const f = await findFixClean('attached-no-vm', (x) => x.id === `clear-record:${vol}@datastore1`);
    assert.match(f.title, /recorded as attached to VM docker-host-01/);
    assert.equal(made.volume, vol);
    assert.equal(await sha256(flatOf(vol)), before);
    await docker('volume', 'rm', vol);
  });

  it('stale-attach-off: the disk on the powered-off Docker host VM; detached keeping the file, the record cleared', async () => {
    const vol = `${tag}-off`;
    await fault('stale-attach-off', vol);
    try {
      const before = await sha256(flatOf(vol));
      const f = await findFixClean('attached-powered-off', (x) => x.id === `detach-disk:${vol}@datastore1`);
      assert.match(f.title, /attached to the powered-off VM docker-host-01/);
      assert.equal(await sha256(flatOf(vol)), before, 'the VMDK is kept byte for byte');
    } finally {
      await fault('power-on');
    }
    await docker('volume', 'rm', vol);
  });

  it("orphan-vmdk: a removed tenant's VMDK, its three files quarantined together with a note", async () => {
    const vol = `${tag}-orph`;
    const made = (await fault('orphan-vmdk', vol)) as { tenant: string; flat: string };
    const before = await sha256(made.flat);
    const f = await findFixClean('orphan-vmdk', (x) => x.id.startsWith('quarantine:'));
    assert.match(f.detail, /3 file\(s\)/);
    assert.equal(existsSync(made.flat), false);
    const qdir = join(lab.vsphere.datastorePath, '.quarantine/dockvols', made.tenant);
    const [moved] = readdirSync(qdir).filter((d) => d.startsWith(`${vol}-`));
    const files = readdirSync(join(qdir, moved)).sort();
    assert.equal(files.length, 4, files.join(', '));
    assert.ok(files.includes('QUARANTINE.txt') && files.includes(`${vol}.vmdk`) && files.includes(`${vol}-flat.vmdk`));
    assert.equal(await sha256(join(qdir, moved, `${vol}-flat.vmdk`)), before);
  });

  it("leftover-snapshot: a dead run's vdvs-backup snapshot with a delta disk; removed with consolidation", async () => {
    const vol = `${tag}-snap`;
    const made = (await fault('leftover-snapshot', vol)) as { container: string; delta: string };
    try {
      const before = await sha256(flatOf(vol));
      await findFixClean('leftover-snapshot', (x) => x.id.startsWith('remove-snapshot:'));
      assert.equal(existsSync(made.delta), false, 'the delta is consolidated');
      assert.equal(await sha256(flatOf(vol)), before);
    } finally {
      await docker('rm', '-f', made.container);
      await docker('volume', 'rm', vol);
    }
  });

  it('dead-helper: a helper container of a killed backup run; removed, the volume unmounted and its data intact', async () => {
    const vol = `${tag}-help`;
    await docker('volume', 'create', `--driver=${lab.plugin.alias}`, `--name=${vol}`);
    await docker('run', '--rm', '-v', `${vol}:/data`, 'alpine:latest', 'sh', '-c', 'head -c 1048576 /dev/urandom > /data/payload && sync');
    // mounting ext4 rewrites its superblock (mount count, times): the helper's mount changes the flat file
    // by itself, so what must not change is the data: the payload read straight from the flat extent
    const payload = async () =>
      createHash('sha256')
        .update((await run('debugfs', ['-R', 'cat /payload', flatOf(vol)], { encoding: 'buffer', maxBuffer: 8 << 20 })).stdout)
        .digest('hex');
    const before = await payload();
    const made = (await fault('dead-helper', vol)) as { container: string };
    await findFixClean('dead-helper', (x) => x.id === `remove-helper:lab-docker/${made.container}`);
    assert.equal((await docker('ps', '-a', '-q', '--filter', `name=${made.container}`)).trim(), '');
    assert.equal(await payload(), before);
    await docker('volume', 'rm', vol);
  });

  it('version-mismatch: a second VIB version; the plugin upgraded to it, volumes untouched', async () => {
    const vol = `${tag}-ver`;
    await docker('volume', 'create', `--driver=${lab.plugin.alias}`, `--name=${vol}`);
    const before = await sha256(flatOf(vol));
    await fault('version-mismatch');
    const f = await findFixClean('version-mismatch', (x) => x.id === 'upgrade-plugin:lab-docker');
    assert.match(f.title, /Plugin 0\.21\.2 on lab-docker, VIB 0\.21\.3 on lab-esx/);
    assert.equal(await sha256(flatOf(vol)), before);
    await docker('volume', 'rm', vol);
  });

  it('the CLI: vdvs doctor --json exits 1 naming the finding; --fix without --yes only shows it; with --yes it fixes, then exit 0', async () => {
    const vol = `${tag}-cli`;
    const made = (await fault('dead-helper', vol)) as { container: string };
    const config = join(tmpdir(), `${tag}-doctor.json`);
    writeFileSync(
      config,
      JSON.stringify({
        dockerHosts: [{ name: 'lab-docker', endpoint: lab.docker.host, vm: lab.vsphere.vm, esxiHost: 'esx' }],
        esxiHosts: [
          {
            name: 'esx',
            url: lab.vsphere.url,
            user: lab.vsphere.user,
            thumbprint: lab.vsphere.thumbprint,
            ssh: targets.esxi[0].config.ssh,
          },
        ],
      }),
    );
    const first = await runCli(lab, ['doctor', '--config', config, '--json']);
    assert.equal(first.code, 1, first.err);
    const report = JSON.parse(first.out) as { ok: boolean; findings: Finding[]; esxiHosts: Array<{ vib?: { version?: string } }> };
    assert.equal(report.ok, false);
    assert.match(report.esxiHosts[0].vib?.version ?? '', /^0\.21\.\d+-0\.0\.1$/, 'the VIB read over SSH');
    const fixId = `remove-helper:lab-docker/${made.container}`;
    assert.deepEqual(
      report.findings.map((f) => [f.id, f.fixes.map((x) => x.id)]),
      [[`dead-helper:lab-docker/${made.container}`, [fixId]]],
    );
    const human = await runCli(lab, ['doctor', '--config', config]);
    assert.equal(human.code, 1);
    assert.match(human.out, new RegExp(`WARNING Helper container ${made.container} of a dead backup run`));
    assert.match(human.out, /equivalent: docker rm -f /);
    const shown = await runCli(lab, ['doctor', '--config', config, '--fix', fixId]);
    assert.equal(shown.code, 1);
    assert.match(shown.out, /Not done: run again with --yes/);
    assert.notEqual((await docker('ps', '-a', '-q', '--filter', `name=${made.container}`)).trim(), '', 'still there');
    const fixed = await runCli(lab, ['doctor', '--config', config, '--fix', fixId, '--yes']);
    assert.equal(fixed.code, 0, fixed.out + fixed.err);
    assert.match(fixed.out, /Checked again: the finding is gone/);
    const clean = await runCli(lab, ['doctor', '--config', config, '--json']);
    assert.equal(clean.code, 0, clean.out);
    assert.equal((JSON.parse(clean.out) as { ok: boolean }).ok, true);
    await docker('volume', 'rm', vol);
  });
});
