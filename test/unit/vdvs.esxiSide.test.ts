import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { correlate } from '../../src/core/vdvs/correlate';
import { EsxiSide, mergeEsxiSides } from '../../src/core/vdvs/esxiSide';
import { volumeDatastorePath } from '../../src/core/vdvs/layout';

const path = (v: string) => volumeDatastorePath('datastore1', v);
const side = (id: string, vols: string[], attached: Record<string, string> = {}, vms: Record<string, string> = {}): EsxiSide => ({
  vmdks: vols.map((v) => ({ esxiHostId: id, path: path(v), sizeOnDiskBytes: 100 })),
  vmDisks: Object.entries(attached).map(([v, diskMode]) => ({ esxiHostId: id, vm: 'docker-host-01', path: path(v), diskMode })),
  scannedDatastores: ['datastore1'],
  vmDatastores: vms,
});

describe('ESXi side', () => {
  it('counts a VMDK seen through a vCenter and its host once, the first answer winning', () => {
    const merged = mergeEsxiSides([
      side('vc', ['a', 'b'], { a: 'persistent' }, { 'docker-host-01': 'datastore1' }),
      side('esx', ['b', 'c'], { a: 'independent_persistent' }, { 'docker-host-01': 'other' }),
    ]);
    assert.deepEqual(
      merged.vmdks.map((v) => [v.path, v.esxiHostId]),
      [
        [path('a'), 'vc'],
        [path('b'), 'vc'],
        [path('c'), 'esx'],
      ],
    );
    assert.deepEqual(
      merged.vmDisks.map((d) => d.diskMode),
      ['persistent'],
    );
    assert.deepEqual(merged.scannedDatastores, ['datastore1']);
    assert.deepEqual(merged.vmDatastores, { 'docker-host-01': 'datastore1' });
  });

  it('joins the attached disk mode, so the badge follows the disk in use', () => {
    const rows = correlate({
      docker: [
        {
          hostId: 'd',
          hostName: 'd',
          name: 'a@datastore1',
          status: { 'attach-as': 'independent_persistent', datastore: 'datastore1' },
          containers: ['app'],
        },
      ],
      ...mergeEsxiSides([side('esx', ['a', 'lost'], { a: 'persistent' })]),
    });
    const a = rows.find((r) => r.volume === 'a')!;
    assert.equal(a.vmDisk?.diskMode, 'persistent');
    assert.equal(a.backup.includedInVmSnapshots, true);
    assert.equal(rows.find((r) => r.volume === 'lost')?.orphan, 'no-docker-host');
  });

  it('keeps one entry per host for a volume Docker lists by its short name and as vol@ds', () => {
    const status = { datastore: 'datastore1' };
    const rows = correlate({
      docker: [
        { hostId: 'd', hostName: 'd', name: 'a', status, containers: ['app'] },
        { hostId: 'd', hostName: 'd', name: 'a@datastore1', status, containers: ['app'] },
      ],
      ...mergeEsxiSides([side('esx', ['a'])]),
    });
    assert.equal(rows.length, 1);
    assert.equal(rows[0].docker.length, 1);
    assert.deepEqual(rows[0].containers, [{ hostName: 'd', container: 'app' }]);
  });
});
