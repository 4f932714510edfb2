import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Server, Socket } from 'node:net';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { UserError } from '../../src/core/errors';
import { connectToHost } from '../../src/core/vsphere/connect';
import { listDockvols, searchDatastore } from '../../src/core/vsphere/datastoreBrowser';
import { downloadDatastoreFile, uploadDatastoreFile } from '../../src/core/vsphere/datastoreFiles';
import { DatastoreInfo, listDatacenters, listDatastores, listHostSystems, listVmDisks, listVms } from '../../src/core/vsphere/inventory';
import { forgetViews } from '../../src/core/vsphere/propertyCollector';
import { VsphereSession } from '../../src/core/vsphere/session';
import { createSnapshot, listSnapshots, removeSnapshot } from '../../src/core/vsphere/snapshots';
import { ThumbprintMismatchError, UnknownCertificateError } from '../../src/core/vsphere/tls';
import { readVsphereLab, VcsimLab } from '../fixtures/vsphereLab';

const TIMEOUT = 10_000;
const DEFAULT_TENANT = '11111111-1111-1111-1111-111111111111';
const connect = (lab: VcsimLab, extra: { password?: string; thumbprint?: string | null; timeoutMs?: number; url?: string } = {}) =>
  connectToHost(
    {
      id: 'it',
      name: 'it',
      url: extra.url ?? lab.url,
      user: lab.user,
      thumbprint: extra.thumbprint === null ? undefined : (extra.thumbprint ?? lab.thumbprint),
    },
    extra.password ?? lab.password,
    { timeoutMs: extra.timeoutMs ?? TIMEOUT },
  );

/** Requests made by `work`, per operation. */
async function counted<T>(
  session: VsphereSession,
  work: () => Promise<T>,
): Promise<{ result: T; ops: Record<string, number>; total: number }> {
  const before = { ...session.stats.byOperation };
  const total0 = session.stats.requests;
  const result = await work();
  const ops: Record<string, number> = {};
  for (const [op, n] of Object.entries(session.stats.byOperation)) if (n !== (before[op] ?? 0)) ops[op] = n - (before[op] ?? 0);
  return { result, ops, total: session.stats.requests - total0 };
}

describe('vSphere client against the lab vcsim (ESX model, TLS)', () => {
  let lab: VcsimLab;
  let session: VsphereSession;
  const tag = `vsphere-it-${randomBytes(3).toString('hex')}`;
  let tenantDir: string;

  before(async () => {
    ({ esx: lab } = await readVsphereLab());
    session = await connect(lab);
    tenantDir = join(lab.datastorePath, 'dockvols', DEFAULT_TENANT);
    mkdirSync(tenantDir, { recursive: true });
    for (const f of [`${tag}-a.vmdk`, `${tag}-a-flat.vmdk`, `${tag}-b.vmdk`, `${tag}-b.vmfd`])
      writeFileSync(join(tenantDir, f), f.endsWith('flat.vmdk') ? Buffer.alloc(4096) : `# Disk DescriptorFile ${f}\n`);
  });
  after(async () => {
    for (const f of [`${tag}-a.vmdk`, `${tag}-a-flat.vmdk`, `${tag}-b.vmdk`, `${tag}-b.vmfd`, `${tag}-up.bin`])
      rmSync(join(tenantDir, f), { force: true });
    await session?.close();
  });

  it('logs in and reads ServiceContent (standalone ESXi)', () => {
    assert.equal(session.serviceContent.apiType, 'HostAgent');
    assert.equal(session.isVcenter, false);
    assert.match(session.serviceContent.fullName, /ESXi/);
  });

  it('lists the datastore with type, capacity and free space in one round trip per level', async () => {
    const [dc] = await listDatacenters(session);
    assert.equal(dc.name, lab.datacenter);
    const [host] = await listHostSystems(session, dc.ref);
    assert.equal(host.name, lab.hostName);
    const first = await counted(session, () => listDatastores(session, host.ref));
    const ds = first.result.find((d) => d.name === lab.datastore);
    assert.ok(ds, 'datastore1 listed');
    // vcsim may report free < 0
    assert.ok(ds.capacityBytes > 0 && Number.isInteger(ds.freeBytes) && ds.freeBytes <= ds.capacityBytes, JSON.stringify(ds));
    assert.equal(ds.url, lab.datastorePath);
    assert.ok(ds.type);
    assert.deepEqual(first.ops, { RetrievePropertiesEx: 1 }, 'datastores of a host: one traversal, no view');
    const dcs = await counted(session, () => listDatastores(session, dc.ref));
    assert.deepEqual(dcs.ops, { CreateContainerView: 1, RetrievePropertiesEx: 1 }, 'first listing of a container creates its view');
    const again = await counted(session, () => listDatastores(session, dc.ref));
    assert.deepEqual(again.ops, { RetrievePropertiesEx: 1 }, 'the view is reused: one round trip');
  });

  it('lists VMs with power state and guest identity, and their disks', async () => {
    const [host] = await listHostSystems(session, (await listDatacenters(session))[0].ref);
    const { result: vms, total } = await counted(session, () => listVms(session, host.ref));
    assert.equal(total, 1, 'all VMs in one round trip');
    const vm = vms.find((v) => v.name === lab.vm);
    assert.ok(vm);
    assert.equal(vm.powerState, 'poweredOn');
    assert.equal(vm.guestHostName, lab.vm);
    assert.equal(vm.guestIp, '127.0.0.1');
    assert.equal(vm.vmPathName, lab.vmPathName);
    const disks = await listVmDisks(session, vm.ref);
    const disk = disks.find((d) => d.fileName === `[${lab.datastore}] ${lab.vm}/${lab.vm}.vmdk`);
    assert.ok(disk, `system disk in ${JSON.stringify(disks)}`);
    assert.equal(disk.capacityBytes, 16 * 1024 ** 3);
    assert.equal(disk.diskMode, 'persistent');
    assert.equal(disk.isVdvs, false);
    assert.equal(disk.independent, false);
    assert.ok(disk.label);
  });

  it('lists dockvols: tenant folders and VMDK descriptors only, with sizes', async () => {
    const ds = await datastore1();
    const { tenants, vmdks } = await listDockvols(session, ds);
    assert.ok(tenants.some((t) => t.name === DEFAULT_TENANT));
    const mine = vmdks
      .filter((v) => v.name.startsWith(tag))
      .map((v) => v.name)
      .sort();
    assert.deepEqual(mine, [`${tag}-a.vmdk`, `${tag}-b.vmdk`], 'no -flat extent, no sidecar');
    const a = vmdks.find((v) => v.name === `${tag}-a.vmdk`)!;
    assert.equal(a.tenant, DEFAULT_TENANT);
    assert.equal(a.location.path, `dockvols/${DEFAULT_TENANT}/${tag}-a.vmdk`);
    assert.equal(a.fileSize, `# Disk DescriptorFile ${tag}-a.vmdk\n`.length);
    assert.ok(a.modification);
    assert.equal(a.attachedTo, undefined);
  });

  it('gives an empty list for a folder that does not exist', async () => {
    const ds = await datastore1();
    assert.deepEqual(await searchDatastore(session, ds.browser!, { datastore: ds.name, path: `${tag}-missing` }), []);
  });

  it('logs in again transparently after the session was dropped', async () => {
    await session.invoke('Logout', {
      _this: { attributes: { type: 'SessionManager' }, $value: session.serviceContent.sessionManager.value },
    });
    forgetViews(session); // vcsim answers RetrievePropertiesEx on a dead session with nothing: make it CreateContainerView
    const logins = session.stats.byOperation.Login;
    const { result, ops } = await counted(session, () => listDatastores(session, session.serviceContent.rootFolder));
    assert.ok(result.some((d) => d.name === lab.datastore));
    assert.equal(session.stats.byOperation.Login, logins + 1);
    assert.deepEqual(ops, { CreateContainerView: 2, Login: 1, RetrievePropertiesEx: 1 });
  });

  it('creates, lists and removes a VM snapshot', async () => {
    const [vm] = (await listVms(session, session.serviceContent.rootFolder)).filter((v) => v.name === lab.vm);
    const snap = await createSnapshot(session, vm.ref, { name: tag, description: 'integration test' });
    try {
      const listed = await listSnapshots(session, vm.ref);
      const mine = listed.find((s) => s.ref.value === snap.value);
      assert.ok(mine);
      assert.equal(mine.name, tag);
      assert.equal(mine.description, 'integration test');
    } finally {
      await removeSnapshot(session, snap);
    }
    assert.ok(!(await listSnapshots(session, vm.ref)).some((s) => s.ref.value === snap.value));
  });

  it('streams a file up and down through /folder with the session cookie and pinned TLS', async () => {
    const data = randomBytes(256 * 1024);
    const loc = { datastore: lab.datastore, path: `dockvols/${DEFAULT_TENANT}/${tag}-up.bin` };
    await uploadDatastoreFile(session, lab.datacenter, loc, Readable.from([data]), data.length);
    const sink = new PassThrough();
    const chunks: Buffer[] = [];
    sink.on('data', (c: Buffer) => chunks.push(c));
    const n = await downloadDatastoreFile(session, lab.datacenter, loc, sink);
    assert.equal(n, data.length);
    assert.ok(Buffer.concat(chunks).equals(data));
  });

  it('refuses a wrong password with INVALID_LOGIN', async () => {
    await assert.rejects(
      connect(lab, { password: 'wrong-password' }),
      (e: unknown) => e instanceof UserError && e.code === 'INVALID_LOGIN' && !e.message.includes('wrong-password'),
    );
  });

  it('asks to pin an unknown self-signed certificate, giving its thumbprint', async () => {
    await assert.rejects(
      connect(lab, { thumbprint: null }),
      (e: unknown) => e instanceof UnknownCertificateError && e.thumbprint === lab.thumbprint,
    );
  });

  it('accepts the certificate without a pin when it chains to vdvs.tls.caBundlePath', async () => {
    const session = await connectToHost({ id: 'it', name: 'it', url: lab.url, user: lab.user }, lab.password, {
      timeoutMs: TIMEOUT,
      caBundlePath: lab.certPath,
    });
    try {
      assert.ok((await listDatacenters(session)).length > 0);
    } finally {
      await session.close();
    }
  });

  it('refuses a changed certificate, naming both thumbprints', async () => {
    const pinned = lab.thumbprint.replace(/^../, lab.thumbprint.startsWith('00') ? '11' : '00');
    await assert.rejects(
      connect(lab, { thumbprint: pinned }),
      (e: unknown) => e instanceof ThumbprintMismatchError && e.message.includes(pinned) && e.message.includes(lab.thumbprint),
    );
  });

  it('reports an unreachable host at once and a silent one within the timeout', async () => {
    const closed = await freePort();
    await assert.rejects(
      connect(lab, { url: `https://127.0.0.1:${closed}/sdk` }),
      (e: unknown) => e instanceof UserError && e.code === 'UNREACHABLE',
    );
    const held = new Set<Socket>();
    const silent: Server = createServer((s) => held.add(s)).listen(0, '127.0.0.1');
    await new Promise((r) => silent.once('listening', r));
    const started = Date.now();
    try {
      await assert.rejects(
        connect(lab, { url: `https://127.0.0.1:${(silent.address() as { port: number }).port}/sdk`, timeoutMs: 1500 }),
        (e: unknown) => e instanceof UserError && e.code === 'TIMEOUT',
      );
      const took = Date.now() - started;
      assert.ok(took >= 1400 && took < 4000, `took ${took} ms`);
    } finally {
      for (const s of held) s.destroy();
      silent.close();
    }
  });

  async function datastore1(): Promise<DatastoreInfo> {
    const ds = (await listDatastores(session, session.serviceContent.rootFolder)).find((d) => d.name === lab.datastore);
    assert.ok(ds);
    return ds;
  }
});

describe('vSphere client against the lab vcsim (VPX model, TLS)', () => {
  let lab: VcsimLab;
  let session: VsphereSession;
  before(async () => {
    ({ vpx: lab } = await readVsphereLab());
    session = await connect(lab);
  });
  after(() => session?.close());

  it('walks vCenter → datacenters → hosts → datastores and VMs, one round trip per level', async () => {
    assert.equal(session.isVcenter, true);
    const dcs = await counted(session, () => listDatacenters(session));
    assert.deepEqual(
      dcs.result.map((d) => d.name),
      [lab.datacenter],
    );
    assert.deepEqual(dcs.ops, { CreateContainerView: 1, RetrievePropertiesEx: 1 });
    const hosts = await counted(session, () => listHostSystems(session, dcs.result[0].ref));
    assert.deepEqual(hosts.result.map((h) => h.name).sort(), [...lab.hosts].sort());
    assert.equal(hosts.ops.RetrievePropertiesEx, 1);
    const host = hosts.result.find((h) => h.name === lab.hostName)!;
    const dss = await counted(session, () => listDatastores(session, host.ref));
    assert.ok(dss.result.some((d) => d.name === lab.datastore));
    assert.deepEqual(dss.ops, { RetrievePropertiesEx: 1 });
    const vms = await counted(session, () => listVms(session, host.ref));
    assert.ok(vms.result.some((v) => v.name === lab.vm && v.powerState === 'poweredOn'));
    assert.deepEqual(vms.ops, { RetrievePropertiesEx: 1 });
  });

  it('refuses a wrong password with INVALID_LOGIN', async () => {
    await assert.rejects(connect(lab, { password: 'nope' }), (e: unknown) => e instanceof UserError && e.code === 'INVALID_LOGIN');
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
