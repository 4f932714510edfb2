/**
 * `vmdkops_admin.py volume ls` (esx_service/cli/vmdkops_admin.py ls, generate_ls_rows) in the lab's
 * ESXi shell, from the state the stand-in plugin keeps, and the Volumes view's data read through it:
 * the same facts as the per-volume inspects, no inspect at all, and the update after a docker event
 * that asks only the volume it names. Names start with t17ls-.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DockerHostConfig } from '../../src/core/config';
import { DockerConnection } from '../../src/core/docker/connection';
import { inspectVolume } from '../../src/core/docker/volumes';
import { runVmdkopsAdmin, VMDKOPS_ADMIN } from '../../src/core/esx/vmdkopsAdmin';
import { SshSession } from '../../src/core/ssh/shellSession';
import { parseVolumeLs, statusOfAdminVolume, VOLUME_LS_ARGS } from '../../src/core/vdvs/adminVolumes';
import { DEFAULT_TENANT_UUID } from '../../src/core/vdvs/layout';
import { volumeFacts } from '../../src/core/vdvs/status';
import { loadVolumeData, updateVolumeData } from '../../src/core/vdvs/volumeData';
import { VsphereSession } from '../../src/core/vsphere/session';
import { ensureVolumeLab, labDocker, VolumeLab } from '../fixtures/volumeLab';

const P = `t17ls-${process.pid}`;
const TIMEOUT = 60_000;

describe('vmdkops_admin.py volume ls in the lab ESXi shell', () => {
  let lab: VolumeLab;
  let docker: (...args: string[]) => Promise<string>;
  let shell: SshSession;
  let conn: DockerConnection;
  let vsphere: VsphereSession;
  let host: DockerHostConfig;
  const made: string[] = [];

  before(async () => {
    lab = await ensureVolumeLab();
    docker = labDocker(lab);
    const { host: h, port, user, password, hostKeyFingerprint } = lab.ssh;
    shell = await SshSession.open({ host: h, port, user, auth: 'password', secret: password, hostKeyFingerprint }, { timeoutMs: TIMEOUT });
    host = { id: 'lab', name: 'lab-docker', endpoint: lab.docker.host, vmName: lab.vsphere.vm };
    conn = await DockerConnection.open(host, { timeoutMs: TIMEOUT });
    vsphere = await VsphereSession.open({ ...lab.vsphere, timeoutMs: TIMEOUT });
    for (const [name, opts] of [
      [`${P}-a`, ['-o', 'size=20mb']],
      [`${P}-b`, ['-o', 'size=12mb', '-o', 'access=read-only', '-o', 'attach-as=persistent', '-o', 'diskformat=zeroedthick']],
    ] as const) {
      await docker('volume', 'create', '--driver=vsphere', `--name=${name}`, ...opts);
      made.push(name);
    }
  });

  after(async () => {
    for (const v of made) await docker('volume', 'rm', '-f', v).catch(() => undefined);
    shell?.close();
    conn?.close();
    await vsphere?.close();
  });

  const volumeLs = async () => parseVolumeLs(await runVmdkopsAdmin(shell, VOLUME_LS_ARGS, { timeoutMs: TIMEOUT }));

  it("prints vDVS's table: its headers in its order, cut to 80 columns without a terminal (cli_table.term_width)", async () => {
    const r = await shell.run([VMDKOPS_ADMIN, 'volume', 'ls'], { timeoutMs: TIMEOUT });
    assert.equal(r.code, 0, r.stderr);
    const [head, dashes] = r.stdout.split('\n');
    assert.ok(head.length <= 80 + 2 && dashes.length <= 80 + 2, head);
    assert.match(head, /^Vo\S*\s+Da\S*\s+VMG\S*\s+Cap\S*\s+Used/);
    // -c: the chosen columns in the order of the choices, whatever order they were given in (ls_dash_c)
    const c = await shell.run([VMDKOPS_ADMIN, 'volume', 'ls', '-c', 'access,volume'], { timeoutMs: TIMEOUT });
    const lines = c.stdout.split('\n');
    assert.match(lines[0], /^Volume\s+Access\s*$/);
    assert.ok(
      lines.some((l) => new RegExp(`^${P}-b\\s+read-only\\s*$`).test(l)),
      c.stdout,
    );
  });

  it('gives every column of each volume, as its inspect says', async () => {
    const rows = await volumeLs();
    for (const name of made) {
      const row = rows.find((r) => r.volume === name);
      assert.ok(row, `${name} not in volume ls`);
      assert.equal(row.vmgroup, '_DEFAULT');
      assert.equal(row.datastore, lab.vsphere.datastore);
      const inspected = volumeFacts((await inspectVolume(conn, `${name}@${lab.vsphere.datastore}`)).status);
      const listed = volumeFacts(statusOfAdminVolume(row) as Record<string, unknown>);
      for (const k of [
        'datastore',
        'size',
        'allocated',
        'diskformat',
        'attachAs',
        'access',
        'fstype',
        'status',
        'createdByVm',
        'created',
      ] as const)
        assert.equal(listed[k], inspected[k], `${name} ${k}`);
    }
    const b = rows.find((r) => r.volume === `${P}-b`);
    assert.deepEqual([b?.access, b?.attachAs, b?.diskFormat, b?.capacity], ['read-only', 'persistent', 'zeroedthick', '12MB']);
  });

  it('feeds the Volumes view without one inspect, and an update asks only the volume an event names', async () => {
    const use = <T>(work: (c: DockerConnection) => Promise<T>) => work(conn);
    const sources = {
      docker: [{ host, use }],
      esxi: [{ id: 'esx', name: 'esx', session: async () => vsphere, adminVolumes: volumeLs }],
    };
    // first without SSH (the inspects and the dockvols search), which also makes the session's container views
    let start = vsphere.stats.requests;
    const without = await loadVolumeData({ docker: sources.docker, esxi: [{ ...sources.esxi[0], adminVolumes: undefined }] });
    const searchTrips = vsphere.stats.requests - start;
    start = vsphere.stats.requests;
    const first = await loadVolumeData(sources);
    const trips = vsphere.stats.requests - start;
    assert.equal(first.statusFrom.inspect, 0);
    assert.ok(first.statusFrom.admin >= made.length);
    for (const name of made) {
      const row = first.rows.find((r) => r.volume === name);
      assert.equal(row?.facts.size, name.endsWith('-a') ? '20MB' : '12MB');
      // the VMDK as volume ls names it: no dockvols search of the datastore
      assert.equal(row?.vmdk?.path, `[${lab.vsphere.datastore}] dockvols/${DEFAULT_TENANT_UUID}/${name}.vmdk`);
      assert.equal(row?.orphan, undefined);
    }
    assert.ok(trips < searchTrips, `vSphere round trips with volume ls ${trips}, without ${searchTrips}`);
    assert.deepEqual(
      first.rows.filter((r) => made.includes(r.volume)).map((r) => [r.key, r.facts, r.vmdk?.path, r.orphan]),
      without.rows
        .filter((r) => made.includes(r.volume))
        .map((r) => [r.key, r.facts, r.vmdk?.path.replace('/_DEFAULT/', `/${DEFAULT_TENANT_UUID}/`), r.orphan]),
      'the same rows as with the inspects and the dockvols search',
    );

    const extra = `${P}-c`;
    await docker('volume', 'create', '--driver=vsphere', `--name=${extra}`, '-o', 'size=8mb');
    made.push(extra);
    const added = await updateVolumeData(first, { host, use }, [`${extra}@${lab.vsphere.datastore}`]);
    const row = added.rows.find((r) => r.volume === extra);
    assert.equal(row?.facts.size, '8MB');
    assert.equal(row?.orphan, undefined, 'a volume the dockvols scan has not seen yet is not an orphan');
    assert.equal(added.rows.length, first.rows.length + 1);

    await docker('volume', 'rm', `${P}-a`);
    const removed = await updateVolumeData(added, { host, use }, [`${P}-a@${lab.vsphere.datastore}`]);
    assert.equal(
      removed.rows.find((r) => r.volume === `${P}-a`),
      undefined,
      'a removed volume leaves the view, its VMDK too (no orphan row)',
    );
  });
});
