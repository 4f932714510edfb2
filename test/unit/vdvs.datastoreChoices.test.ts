import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DatastoreChoice, isVsanType, mergeDatastoreChoices } from '../../src/core/vdvs/datastoreChoices';

const ds = (name: string, type = 'VMFS'): DatastoreChoice => ({ name, type, capacityBytes: 10, freeBytes: 5, vsan: isVsanType(type) });

describe('datastore choices of several ESXi hosts/vCenters', () => {
  it('without the VM anywhere: every datastore once, by name', () => {
    const merged = mergeDatastoreChoices([
      { datastores: [ds('b'), ds('a')], vmFound: false },
      { datastores: [ds('a', 'NFS'), ds('c', 'vsan')], vmFound: false },
    ]);
    assert.deepEqual(merged, { datastores: [ds('a'), ds('b'), ds('c', 'vsan')], vmFound: false, vmDatastore: undefined });
    assert.equal(merged.datastores[2].vsan, true);
  });
  it('the hosts that know the VM decide, and give its datastore', () => {
    const merged = mergeDatastoreChoices([
      { datastores: [ds('other')], vmFound: false },
      { datastores: [ds('local')], vmFound: true, vmDatastore: 'local' },
    ]);
    assert.deepEqual(merged, { datastores: [ds('local')], vmFound: true, vmDatastore: 'local' });
  });
  it('vSAN is summary.type "vsan" in any case, nothing else', () => {
    assert.deepEqual(['vsan', 'VSAN', 'vsanD', 'VMFS', ''].map(isVsanType), [true, true, false, false, false]);
  });
});
