/**
 * The Volumes feature against the lab: every option combination the create wizard offers, created
 * through the extension's own API and read back with the docker CLI (Status fields) and through the
 * view's data (the join with dockvols over vSphere); orphans on both sides; the backup badge for both
 * disk modes while attached; every validation error refused before any call. Names start with t7-.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DockerHostConfig } from '../../src/core/config';
import { DockerConnection } from '../../src/core/docker/connection';
import { mapLimit } from '../../src/core/docker/volumes';
import { UserError } from '../../src/core/errors';
import { VolumeRow } from '../../src/core/vdvs/correlate';
import { createVsphereVolume } from '../../src/core/vdvs/inventory';
import { DEFAULT_TENANT_UUID, volumeDatastorePath } from '../../src/core/vdvs/layout';
import { VdvsOptions } from '../../src/core/vdvs/options';
import { loadVolumeData, VolumeSources } from '../../src/core/vdvs/volumeData';
import { VsphereSession } from '../../src/core/vsphere/session';
import { runCreateVolumeWizard, WizardInput, WizardResult } from '../../src/ui/commands/volume/createVolumeWizard';
import { Questions } from '../../src/ui/prompter';
import { RULE_ROWS, rowName, rowOptions, rowText } from '../fixtures/vdvsRules';
import { ensureVolumeLab, labDocker, sizeInMb, VolumeLab, retryLabTransient } from '../fixtures/volumeLab';

const P = `t7-v${process.pid}`;
/** xfs volumes: the plugin labels the file system with the name, and mkfs.xfs takes 12 bytes at most. */
const S = `x${process.pid}`;
const SIZE = '16mb';
/** Debian's xfsprogs 6.1 (the lab image's mkfs.xfs) makes no file system under 300 MB. */
const XFS_SIZE = '300mb';
const ours = (v: string) => v.startsWith(P) || v.startsWith(S);

describe('Volumes on the lab', () => {
  let lab: VolumeLab;
  let docker: (...args: string[]) => Promise<string>;
  let conn: DockerConnection;
  let session: VsphereSession;
  let host: DockerHostConfig;
  let tenantDir: string;
  /** Where a test moves a volume's files aside: on the datastore's own file system, so a rename moves them. */
  let aside: string;
  const sources = (withDocker = true): VolumeSources => ({
    docker: withDocker ? [{ host, use: (work) => DockerConnection.using(host, { timeoutMs: 60_000 }, work) }] : [],
    esxi: [{ id: 'lab-esx', name: 'lab ESXi', session: async () => session }],
  });
  const create = (name: string, options: VdvsOptions) => retryLabTransient(() => createVsphereVolume(conn, name, options));
  const run = (...args: string[]) => retryLabTransient(() => docker('run', '-d', ...args));
  const rowOf = (rows: VolumeRow[], volume: string) => rows.find((r) => r.volume === volume && r.datastore === lab.vsphere.datastore);

  before(async () => {
    lab = await ensureVolumeLab();
    docker = labDocker(lab);
    host = { id: 't7-docker', name: 'lab-docker', endpoint: lab.docker.host, vmName: lab.vsphere.vm, esxiHostId: 'lab-esx' };
    conn = await DockerConnection.open(host, { timeoutMs: 60_000 });
    session = await VsphereSession.open({
      url: lab.vsphere.url,
      user: lab.vsphere.user,
      password: lab.vsphere.password,
      thumbprint: lab.vsphere.thumbprint,
      timeoutMs: 60_000,
    });
    tenantDir = join(lab.vsphere.datastorePath, 'dockvols', DEFAULT_TENANT_UUID);
    aside = mkdtempSync(join(lab.vsphere.datastorePath, '.t7-aside-'));
  });

  /** Files taken out of dockvols go back, so the plugin can unmount, detach and remove them. */
  const restoreAside = () => {
    for (const f of readdirSync(aside)) renameSync(join(aside, f), join(tenantDir, f));
  };

  after(async () => {
    restoreAside();
    rmSync(aside, { recursive: true, force: true });
    const containers = (await docker('ps', '-aq', '--filter', `name=${P}`)).split('\n').filter(Boolean);
    if (containers.length) await docker('rm', '-f', ...containers);
    const volumes = (await docker('volume', 'ls', '-q')).split('\n').filter(ours);
    const failed: string[] = [];
    await mapLimit(volumes, 8, (v) =>
      retryLabTransient(() => docker('volume', 'rm', v)).catch((e: { stderr?: string }) => failed.push(`${v}: ${e.stderr}`)),
    );
    for (const f of existsSync(tenantDir) ? readdirSync(tenantDir) : []) if (f.startsWith(`${P}-hand`)) rmSync(join(tenantDir, f));
    conn?.close();
    await session?.close();
    assert.deepEqual(failed, [], 'cleanup left volumes behind');
  });

  it('refuses every invalid request with the vDVS text before any call', async () => {
    for (const row of RULE_ROWS.filter((r) => r.expected !== undefined && !r.ctx?.supportedFstypes)) {
      const name = rowName(row, P, S);
      const options = rowOptions(row, P, S);
      await assert.rejects(createVsphereVolume(conn, name, options, row.ctx), (e: unknown) => {
        assert.ok(e instanceof UserError && e.code === 'VDVS_INVALID', `${row.title}: ${String(e)}`);
        assert.equal(e.message, rowText(row.expected!, P, S), row.title);
        return true;
      });
    }
    assert.equal((await docker('volume', 'ls', '-q')).split('\n').filter(ours).length, 0, 'nothing reached the host');
  });

  it('creates every option combination the wizard offers and reads each back', { timeout: 600_000 }, async () => {
    const source = `${P}-src`;
    await create(source, { size: '24mb', fstype: 'ext3', 'attach-as': 'persistent' });
    const input: WizardInput = {
      hosts: [{ id: host.id, name: host.name, endpoint: host.endpoint }],
      hostId: host.id,
      datastores: async () => ({
        datastores: [{ name: lab.vsphere.datastore, type: 'OTHER', capacityBytes: 0, freeBytes: 0, vsan: false }],
      }),
      volumesOf: () => [source],
    };

    // what the wizard offers at each pick step, read from the wizard itself
    const offered: Record<string, unknown[]> = {};
    await runCreateVolumeWizard(
      input,
      {
        pick: async (s) => ((offered[s.id] = s.items.map((i) => i.value)), (s.items.find((i) => i.picked) ?? s.items[0]).value),
        input: async (s) => (s.id === 'name' ? `${P}-probe` : s.value),
        confirm: async () => undefined,
      },
      async () => undefined,
    );
    assert.deepEqual(offered.source, [null, source]);
    assert.deepEqual(offered.datastore, ['', lab.vsphere.datastore]);
    const combos: Array<Record<string, unknown>> = [];
    for (const src of offered.source)
      for (const diskformat of offered.diskformat)
        for (const attach of offered['attach-as'])
          for (const access of offered.access) {
            for (const fstype of src === null ? offered.fstype : [undefined])
              combos.push({
                source: src,
                diskformat,
                'attach-as': attach,
                access,
                fstype,
                // an xfs label is the name as Docker gives it: vol@datastore1 is over 12 bytes, so xfs takes the short name
                datastore: fstype === 'xfs' ? '' : offered.datastore[combos.length % 2],
              });
          }
    assert.equal(combos.length, 3 * 2 * 2 * (4 + 1), 'diskformat × attach-as × access × (4 fstypes + clone)');

    const results = await Promise.all(
      combos.map(async (c, i) => {
        const xfs = c.fstype === 'xfs';
        const answers: Record<string, unknown> = { ...c, name: xfs ? `${S}c${i}` : `${P}-c${i}`, size: xfs ? XFS_SIZE : SIZE };
        const prompter: Questions = {
          pick: async (s) => (s.id in answers ? answers[s.id] : assert.fail(`unexpected step ${s.id}`)) as never,
          input: async (s) => (answers[s.id] as string | undefined) ?? s.value,
          confirm: async (_m, _d, actions) => (actions.includes('Create') ? 'Create' : undefined),
        };
        const r = await runCreateVolumeWizard(input, prompter, async () => undefined);
        assert.ok(r, `wizard gave no result for ${JSON.stringify(c)}`);
        return { combo: c, result: r };
      }),
    );

    const outcomes = await mapLimit(results, 8, async ({ combo, result }: { combo: Record<string, unknown>; result: WizardResult }) => {
      try {
        await create(result.name, result.options);
        return { combo, result, error: undefined };
      } catch (err) {
        return { combo, result, error: err };
      }
    });
    const data = await loadVolumeData(sources());
    let created = 0;
    for (const { combo, result, error } of outcomes) {
      const what = result.commandLine;
      assert.equal(error, undefined, `${what}: ${String(error)}`);
      created++;
      const [vol] = JSON.parse(await docker('volume', 'inspect', result.name)) as Array<{ Status: Record<string, unknown> }>;
      const st = vol.Status;
      const clone = combo.source !== null;
      assert.equal(st.diskformat, combo.diskformat, `${what}: diskformat`);
      assert.equal(st['attach-as'], combo['attach-as'], `${what}: attach-as`);
      assert.equal(st.access, combo.access, `${what}: access`);
      assert.equal(st.fstype, clone ? 'ext3' : combo.fstype, `${what}: fstype`);
      assert.equal(st['clone-from'], clone ? source : 'None', `${what}: clone-from`);
      assert.equal(
        sizeInMb(String((st.capacity as { size: string }).size)),
        sizeInMb(clone ? '24mb' : String(result.options.size)),
        `${what}: capacity.size`,
      );
      assert.equal(st.datastore, lab.vsphere.datastore, `${what}: datastore`);
      assert.equal(st.status, 'detached', `${what}: status`);
      assert.equal(st['created by VM'], lab.vsphere.vm, `${what}: created by VM`);

      const volume = result.name.replace(/@.*$/, '');
      const row = rowOf(data.rows, volume);
      assert.ok(row, `${what}: no row in the view's data`);
      assert.equal(row.orphan, undefined, `${what}: orphan`);
      assert.equal(row.vmdk?.path, volumeDatastorePath(lab.vsphere.datastore, volume), `${what}: VMDK`);
      assert.ok((row.vmdk?.sizeOnDiskBytes ?? 0) > 0, `${what}: size on disk`);
      assert.deepEqual(
        [row.facts.diskformat, row.facts.attachAs, row.facts.access],
        [combo.diskformat, combo['attach-as'], combo.access],
        what,
      );
      assert.equal(
        row.backup.includedInVmSnapshots,
        combo['attach-as'] === 'persistent',
        `${what}: backup badge (detached: from attach-as)`,
      );
    }
    assert.equal(created, 3 * 2 * 2 * 5, 'every combination was created, xfs included (the image has mkfs.xfs, as the real one)');
  });

  it('shows the backup badge from the disk mode in use, for both modes, with the container', { timeout: 120_000 }, async () => {
    const pers = `${P}-pers`;
    const indep = `${P}-indep`;
    await create(pers, { size: SIZE, 'attach-as': 'persistent' });
    await create(indep, { size: SIZE, 'attach-as': 'independent_persistent' });
    const container = `${P}-c`;
    await run('--name', container, '--network', 'none', '-v', `${pers}:/p`, '-v', `${indep}:/i`, 'alpine', 'sleep', '600');
    const before = session.stats.requests;
    const data = await loadVolumeData(sources());
    assert.ok(session.stats.requests - before <= 12, `vSphere round trips for one refresh: ${session.stats.requests - before}`);
    for (const [volume, mode, included] of [
      [pers, 'persistent', true],
      [indep, 'independent_persistent', false],
    ] as const) {
      const row = rowOf(data.rows, volume);
      assert.ok(row, volume);
      assert.deepEqual(
        row.vmDisk && { vm: row.vmDisk.vm, diskMode: row.vmDisk.diskMode },
        { vm: lab.vsphere.vm, diskMode: mode },
        `${volume}: attached disk`,
      );
      assert.equal(row.facts.attachedToVm, lab.vsphere.vm);
      assert.equal(row.backup.includedInVmSnapshots, included, `${volume}: badge`);
      if (!included) assert.match(row.backup.wayOut, /attach-as=persistent/);
      assert.deepEqual(row.containers, [{ hostName: host.name, container }], `${volume}: containers`);
    }
    await docker('rm', '-f', container);
  });

  it('shows a docker volume whose VMDK is gone, and a VMDK no Docker host lists', { timeout: 120_000 }, async () => {
    // Docker side: a volume in use whose files are taken out of dockvols. The plugin stops listing
    // it (as vDVS does), but the container still names it.
    const gone = `${P}-gone`;
    await create(gone, { size: SIZE });
    const container = `${P}-gonec`;
    await run('--name', container, '--network', 'none', '-v', `${gone}:/g`, 'alpine', 'sleep', '600');
    for (const f of readdirSync(tenantDir).filter((n) => n === `${gone}.vmdk` || n.startsWith(`${gone}-`)))
      renameSync(join(tenantDir, f), join(aside, f));

    // ESXi side: a VMDK put into dockvols by hand
    const hand = `${P}-hand`;
    mkdirSync(tenantDir, { recursive: true });
    const descriptor = `# Disk DescriptorFile\nversion=1\ncreateType="vmfs"\nRW 32768 VMFS "${hand}-flat.vmdk"\n`;
    writeFileSync(join(tenantDir, `${hand}.vmdk`), descriptor);
    writeFileSync(join(tenantDir, `${hand}-flat.vmdk`), Buffer.alloc(4096));

    const data = await loadVolumeData(sources());
    const missing = rowOf(data.rows, gone);
    assert.equal(missing?.orphan, 'vmdk-missing');
    assert.equal(missing?.vmdk, undefined);
    assert.deepEqual(missing?.containers, [{ hostName: host.name, container }]);
    // the stand-in plugin, like vDVS's list_vmdks, lists every descriptor in dockvols: the Docker host lists the hand-made one
    assert.equal(rowOf(data.rows, hand)?.orphan, undefined);
    assert.deepEqual(
      rowOf(data.rows, hand)?.docker.map((d) => d.hostName),
      [host.name],
    );

    // with no Docker host that lists it, the VMDK is an orphan, with its size on disk
    const esxiOnly = await loadVolumeData(sources(false));
    const orphan = rowOf(esxiOnly.rows, hand);
    assert.equal(orphan?.orphan, 'no-docker-host');
    assert.equal(orphan?.vmdk?.path, volumeDatastorePath(lab.vsphere.datastore, hand));
    assert.equal(orphan?.vmdk?.sizeOnDiskBytes, descriptor.length);
    assert.equal(orphan?.vmdk?.esxiHostId, 'lab-esx');

    restoreAside();
    await docker('rm', '-f', container);
  });
});
