/**
 * The lab's stand-in vDVS plugin against vDVS's own behaviour (esx_service/vmdk_ops.py), for what
 * the rules table cannot reach: the attached device and the attached-to VM in inspect, list, remove,
 * attach and clone while the sidecar says attached. Sidecars are edited by hand where vDVS's
 * behaviour depends on what the KV says rather than on the VM. Names start with t17-.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_TENANT_UUID } from '../../src/core/vdvs/layout';
import { driverMessage, explainServerError } from '../../src/core/vdvs/serverErrors';
import { listVms } from '../../src/core/vsphere/inventory';
import { str } from '../../src/core/vsphere/normalize';
import { getProperties } from '../../src/core/vsphere/propertyCollector';
import { VsphereSession } from '../../src/core/vsphere/session';
import { ensureVolumeLab, labDocker, retryLabTransient, VolumeLab } from '../fixtures/volumeLab';

const P = `t17-${process.pid}`;
/** vmdk_ops.get_controller_pci_slot for the PVSCSI slots of a VM with the usual pciBridge4..7 (slots 21..24). */
const BUS_OF_SLOT: Record<string, string> = { '160': '15.0', '224': '17.0', '256': '18.0', '1184': '15.1' };

type Sidecar = Record<string, unknown>;

describe('lab stand-in plugin vs vmdk_ops.py', () => {
  let lab: VolumeLab;
  let docker: (...args: string[]) => Promise<string>;
  let tenantDir: string;
  const extraFiles: string[] = [];

  const sidecarOf = (vol: string) => {
    const f = readdirSync(tenantDir).find((n) => n.startsWith(`${vol}-`) && n.endsWith('.vmfd'));
    assert.ok(f, `no sidecar for ${vol}`);
    return join(tenantDir, f);
  };
  const readSidecar = (vol: string) => JSON.parse(readFileSync(sidecarOf(vol), 'utf8').trim()) as Sidecar;
  /** kvESX.save's layout: the JSON padded with spaces to 4 KiB, a newline last. */
  const writeSidecar = (vol: string, meta: Sidecar) => {
    const json = JSON.stringify(meta);
    writeFileSync(sidecarOf(vol), json.padEnd(Math.ceil((json.length + 1) / 4096) * 4096 - 1, ' ') + '\n');
  };
  const inspect = async (vol: string) =>
    (JSON.parse(await docker('volume', 'inspect', vol)) as Array<{ Status: Record<string, unknown> }>)[0].Status;
  const run = (name: string, vol: string) =>
    retryLabTransient(() => docker('run', '-d', '--name', name, '--network', 'none', '-v', `${vol}:/v`, 'alpine', 'sleep', '600'));
  const create = (vol: string, ...opts: string[]) =>
    retryLabTransient(() => docker('volume', 'create', '--driver=vsphere', `--name=${vol}`, ...opts.flatMap((o) => ['-o', o])));

  before(async () => {
    lab = await ensureVolumeLab();
    docker = labDocker(lab);
    tenantDir = join(lab.vsphere.datastorePath, 'dockvols', DEFAULT_TENANT_UUID);
  });

  after(async () => {
    const containers = (await docker('ps', '-aq', '--filter', `name=${P}`)).split('\n').filter(Boolean);
    if (containers.length) await docker('rm', '-f', ...containers);
    for (const f of extraFiles) rmSync(f, { force: true, recursive: true });
    const volumes = (await docker('volume', 'ls', '-q')).split('\n').filter((v) => v.startsWith(P));
    const failed: string[] = [];
    for (const v of volumes) await docker('volume', 'rm', v).catch((e: { stderr?: string }) => failed.push(`${v}: ${e.stderr}`));
    assert.deepEqual(failed, [], 'cleanup left volumes behind');
  });

  it("answers a client of another protocol version with vDVS 0.20+'s text (execRequestThread)", async () => {
    const setProtocol = async (v: string) => {
      await docker('plugin', 'disable', '-f', lab.plugin.alias);
      await docker('plugin', 'set', lab.plugin.alias, `VDVS_TEST_PROTOCOL_VERSION=${v}`);
      await docker('plugin', 'enable', lab.plugin.alias);
    };
    await setProtocol('3');
    try {
      await assert.rejects(create(`${P}-proto`), (e: { stderr?: string }) => {
        const text = driverMessage(String(e.stderr));
        assert.equal(
          text,
          'There is a mismatch between VDVS client (Docker plugin) protocol version\n' +
            '                                    (3) and server (ESXi) protocol version (2) which indicates different\n' +
            '                                    versions of the product are installed on Guest and ESXi sides,\n' +
            '                                    please make sure VDVS plugin and driver are from the same release version.',
        );
        assert.ok(explainServerError(String(e.stderr)).explanation, 'explained');
        return true;
      });
    } finally {
      await setProtocol('');
    }
  });

  it('inspect of an attached volume: attachedVMDevice with ControllerPciBusNumber, the VM found by its VC UUID', async () => {
    const vol = `${P}-dev`;
    await create(vol, 'size=16mb');
    await run(`${P}-devc`, vol);
    const session = await VsphereSession.open({
      url: lab.vsphere.url,
      user: lab.vsphere.user,
      password: lab.vsphere.password,
      thumbprint: lab.vsphere.thumbprint,
      timeoutMs: 60_000,
    });
    try {
      const vm = (await listVms(session, session.serviceContent.rootFolder)).find((v) => v.name === lab.vsphere.vm);
      assert.ok(vm, 'lab VM');
      const instanceUuid = str((await getProperties(session, vm.ref, ['config.instanceUuid']))['config.instanceUuid']);
      const meta = readSidecar(vol);
      // setStatusAttached stores config.instanceUuid (the VC UUID)
      assert.equal(meta.attachedVMUuid, instanceUuid);
      // dev_info: Unit, ControllerPciSlotNumber, ControllerPciBusNumber (get_controller_pci_slot)
      const dev = meta.attachedVMDevice as Record<string, string>;
      assert.deepEqual(Object.keys(dev).sort(), ['ControllerPciBusNumber', 'ControllerPciSlotNumber', 'Unit']);
      assert.equal(dev.ControllerPciBusNumber, BUS_OF_SLOT[dev.ControllerPciSlotNumber], `slot ${dev.ControllerPciSlotNumber}`);
      const status = await inspect(vol);
      assert.deepEqual(status.attachedVMDevice, dev);

      // vol_info names the VM found by that UUID, not the name the KV holds
      writeSidecar(vol, { ...meta, attachedVMName: 'stale-name' });
      assert.equal((await inspect(vol))['attached to VM'], lab.vsphere.vm);
      // a UUID no VM has: the KV's name
      writeSidecar(vol, { ...meta, attachedVMUuid: '00000000-0000-0000-0000-000000000017', attachedVMName: 'stale-name' });
      assert.equal((await inspect(vol))['attached to VM'], 'stale-name');
      writeSidecar(vol, meta);
    } finally {
      await session.close();
    }
  });

  it('clones a source that is attached (cloneVMDK only logs it)', async () => {
    const src = `${P}-src`;
    await create(src, 'size=16mb');
    await run(`${P}-srcc`, src);
    assert.equal(readSidecar(src).status, 'attached');
    await create(`${P}-clone`, `clone-from=${src}`);
    assert.equal((await inspect(`${P}-clone`))['clone-from'], src);
  });

  it('refuses to remove a volume while the KV says attached, whatever VM it names', async () => {
    const vol = `${P}-busy`;
    await create(vol, 'size=16mb');
    const meta = readSidecar(vol);
    // getStatusAttached: no name in the KV is None
    writeSidecar(vol, { ...meta, status: 'attached' });
    await assert.rejects(docker('volume', 'rm', vol), (e: { stderr?: string }) => {
      assert.match(String(e.stderr), new RegExp(`Failed to remove volume ${vol}, in use by VM = None\\.`));
      return true;
    });
    writeSidecar(vol, meta);
  });

  it('attaches a disk the KV says is attached elsewhere: the reconfigure is tried, not refused', async () => {
    const vol = `${P}-other`;
    await create(vol, 'size=16mb');
    const meta = readSidecar(vol);
    writeSidecar(vol, { ...meta, status: 'attached', attachedVMUuid: '00000000-0000-0000-0000-000000000017', attachedVMName: 'other-vm' });
    await run(`${P}-otherc`, vol);
    const now = readSidecar(vol);
    assert.deepEqual([now.status, now.attachedVMName], ['attached', lab.vsphere.vm]);
  });

  it("lists only the calling VM's vmgroup folder (get_volumes with its tenant)", async () => {
    const root = join(lab.vsphere.datastorePath, 'dockvols');
    const otherGroup = join(root, '22222222-2222-2222-2222-222222222222');
    mkdirSync(otherGroup, { recursive: true });
    extraFiles.push(otherGroup, join(root, `${P}-root.vmdk`));
    const descriptor = (vol: string) => `# Disk DescriptorFile\nversion=1\ncreateType="vmfs"\nRW 32768 VMFS "${vol}-flat.vmdk"\n`;
    writeFileSync(join(root, `${P}-root.vmdk`), descriptor(`${P}-root`));
    writeFileSync(join(otherGroup, `${P}-group.vmdk`), descriptor(`${P}-group`));
    const listed = (await docker('volume', 'ls', '-q')).split('\n');
    assert.ok(!listed.some((v) => v.startsWith(`${P}-root`) || v.startsWith(`${P}-group`)), listed.join(' '));
    assert.ok(listed.includes(`${P}-other@${lab.vsphere.datastore}`) || listed.includes(`${P}-other`), 'own volumes listed');
  });
});
