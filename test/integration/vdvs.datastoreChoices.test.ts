import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mergeDatastoreChoices, readDatastoreChoices } from '../../src/core/vdvs/datastoreChoices';
import { connectToHost } from '../../src/core/vsphere/connect';
import { listDatastores, listHostSystems, listDatacenters } from '../../src/core/vsphere/inventory';
import { VsphereSession } from '../../src/core/vsphere/session';
import { readVsphereLab, VcsimLab } from '../fixtures/vsphereLab';

const connect = (lab: VcsimLab) =>
  connectToHost({ id: 'it', name: 'it', url: lab.url, user: lab.user, thumbprint: lab.thumbprint }, lab.password, { timeoutMs: 10_000 });

/** The create-volume wizard's datastore list, read from the lab's two vcsims. */
describe('datastores offered for a new volume (lab vcsim)', () => {
  let esx: VcsimLab;
  let vpx: VcsimLab;
  const sessions: VsphereSession[] = [];
  before(async () => {
    ({ esx, vpx } = await readVsphereLab());
    sessions.push(await connect(esx), await connect(vpx));
  });
  after(async () => {
    for (const s of sessions) await s.close();
  });

  it("standalone ESXi: every accessible datastore with type and space, and the Docker host VM's own", async () => {
    const offer = await readDatastoreChoices(sessions[0], esx.vm);
    const all = await listDatastores(sessions[0], sessions[0].serviceContent.rootFolder);
    assert.deepEqual(
      offer.datastores.map((d) => d.name),
      all.filter((d) => d.accessible).map((d) => d.name),
    );
    const ds = offer.datastores.find((d) => d.name === esx.datastore);
    assert.ok(ds && ds.type && ds.capacityBytes > 0, JSON.stringify(offer));
    assert.equal(ds.vsan, false);
    assert.equal(offer.vmFound, true);
    assert.equal(offer.vmDatastore, esx.datastore);
  });

  it('vCenter with the VM known: only the datastores of the ESXi host that runs it', async () => {
    const s = sessions[1];
    const offer = await readDatastoreChoices(s, vpx.vm);
    const [dc] = await listDatacenters(s);
    const host = (await listHostSystems(s, dc.ref)).find((h) => h.name === vpx.hostName)!;
    assert.deepEqual(
      offer.datastores.map((d) => d.name),
      (await listDatastores(s, host.ref)).filter((d) => d.accessible).map((d) => d.name),
    );
    assert.equal(offer.vmDatastore, vpx.datastore);
  });

  it('an unknown VM: every datastore, no VM datastore; merged with the host that knows the VM, that one wins', async () => {
    const unknown = await readDatastoreChoices(sessions[1], 'h2-no-such-vm');
    assert.equal(unknown.vmFound, false);
    assert.equal(unknown.vmDatastore, undefined);
    assert.ok(unknown.datastores.length > 0);
    const known = await readDatastoreChoices(sessions[0], esx.vm);
    assert.deepEqual(mergeDatastoreChoices([unknown, known]), known);
  });
});
