import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findVm } from '../../src/core/backup/snapshotMode';
import { connectToHost } from '../../src/core/vsphere/connect';
import { MoRef } from '../../src/core/vsphere/normalize';
import { VsphereSession } from '../../src/core/vsphere/session';
import { createSnapshot, listSnapshots, removeSnapshot } from '../../src/core/vsphere/snapshots';
import { ensureVolumeLab, labDocker, VolumeLab } from '../fixtures/volumeLab';
import { checkAppendLog, setToolsRunning, writerScript, WRITER_LOG } from './consistencyLab';

const tag = `ls-${process.pid.toString(36)}`;

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The lab's vcsim takes snapshots of the VM's disks as ESXi does (lab/README.md, "Snapshots"). */
describe('lab: VM snapshots freeze the base disks', { timeout: 300_000 }, () => {
  let lab: VolumeLab;
  let docker: (...args: string[]) => Promise<string>;
  let session: VsphereSession;
  let vm: MoRef;
  const volume = `${tag}-v`;
  const writer = `${tag}-w`;
  let folder: string;

  const lines = async () => Number((await docker('exec', writer, 'sh', '-c', `wc -l < ${WRITER_LOG}`)).trim());
  const waitForLines = async (n: number) => {
    for (let i = 0; (await lines()) < n; i++) {
      assert.ok(i < 600, `the writer did not reach ${n} lines in 60 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const deltas = async () => (await fs.readdir(folder)).filter((f) => f.startsWith(`${volume}-`) && f.endsWith('-delta.vmdk'));

  before(async () => {
    lab = await ensureVolumeLab();
    docker = labDocker(lab);
    session = await connectToHost(
      { id: 'esx', name: 'esx', url: lab.vsphere.url, user: lab.vsphere.user, thumbprint: lab.vsphere.thumbprint },
      lab.vsphere.password,
      { timeoutMs: 60_000 },
    );
    vm = (await findVm(session, lab.vsphere.vm)).vm.ref;
    folder = await fs.realpath(join(lab.vsphere.datastorePath, 'dockvols', '_DEFAULT'));
    await docker('volume', 'create', '--driver', 'vsphere', '--name', volume, '-o', 'size=64mb', '-o', 'attach-as=persistent');
    await docker('run', '-d', '--name', writer, '--network', 'none', '-v', `${volume}:/d`, 'alpine:latest', 'sh', '-c', writerScript(true));
    await waitForLines(300);
  });

  after(async () => {
    await docker('rm', '-f', writer).catch(() => undefined);
    await docker('volume', 'rm', '-f', volume).catch(() => undefined);
    if (session) await setToolsRunning(session, vm, true).catch(() => undefined);
    await session?.close();
  });

  it('the base flat file does not change from CreateSnapshot to RemoveSnapshot while a container writes; the writes are in it after removal', async () => {
    const flat = join(folder, `${volume}-flat.vmdk`);
    const snapshot = await createSnapshot(session, vm, { name: `${tag}-freeze`, quiesce: true });
    const atSnapshot = await lines();
    const frozen = await sha256(flat);
    await waitForLines(atSnapshot + 300);
    assert.equal(await sha256(flat), frozen, 'the base disk changed while the snapshot existed');
    assert.deepEqual(await deltas(), [`${volume}-000001-delta.vmdk`], 'the live disk is the delta');
    await removeSnapshot(session, snapshot);
    assert.deepEqual(await deltas(), [], 'the delta is merged on removal');
    assert.deepEqual(
      (await listSnapshots(session, vm)).filter((s) => s.name.startsWith(tag)),
      [],
    );
    await waitForLines(atSnapshot + 600); // still writing, now into the merged base
    await docker('stop', '-t', '5', writer); // the volume is unmounted: everything is on the disk
    assert.notEqual(await sha256(flat), frozen);
    const text = await docker('run', '--rm', '--network', 'none', '-v', `${volume}:/d`, 'alpine:latest', 'cat', WRITER_LOG);
    const log = checkAppendLog(text);
    assert.deepEqual(log.problems, []);
    assert.ok(log.lines >= atSnapshot + 600, `${log.lines} lines after the merge, fewer than the ${atSnapshot + 600} written`);
    await docker('start', writer);
  });

  it('a quiesced snapshot needs VMware Tools: ToolsUnavailable when they are not running, and no snapshot or delta is left', async () => {
    await setToolsRunning(session, vm, false);
    try {
      await assert.rejects(
        createSnapshot(session, vm, { name: `${tag}-notools`, quiesce: true }),
        /ToolsUnavailable: Cannot complete operation because VMware Tools is not running in this virtual machine\./,
      );
      assert.deepEqual(
        (await listSnapshots(session, vm)).filter((s) => s.name.startsWith(tag)),
        [],
      );
      assert.deepEqual(await deltas(), []);
      const crash = await createSnapshot(session, vm, { name: `${tag}-crash`, quiesce: false });
      assert.equal((await deltas()).length, 1, 'a snapshot without quiesce works without tools');
      await removeSnapshot(session, crash);
    } finally {
      await setToolsRunning(session, vm, true);
    }
  });
});
