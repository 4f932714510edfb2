import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backupEligibility } from '../../src/core/vdvs/backupEligibility';
import { createVolumeCommandLine } from '../../src/core/vdvs/cliLine';
import { correlate, groupByDatastore, groupByDockerHost } from '../../src/core/vdvs/correlate';
import { belongsToVolume, DEFAULT_TENANT_UUID, volumeDatastorePath, volumeFromDatastorePath } from '../../src/core/vdvs/layout';
import { parseVolumeName, qualify } from '../../src/core/vdvs/names';
import { driverMessage, explainServerError, isDriverError } from '../../src/core/vdvs/serverErrors';
import { volumeFacts } from '../../src/core/vdvs/status';

describe('names', () => {
  it('splits at the last @', () => {
    assert.deepEqual(parseVolumeName('a@b@ds1'), { volume: 'a@b', datastore: 'ds1' });
    assert.deepEqual(parseVolumeName('vol'), { volume: 'vol' });
  });
  it('resolves short names to the Docker VM datastore', () => {
    assert.deepEqual(qualify('vol', 'datastore1'), { volume: 'vol', datastore: 'datastore1' });
    assert.deepEqual(qualify('vol@other', 'datastore1'), { volume: 'vol', datastore: 'other' });
  });
});

describe('dockvols layout', () => {
  it('builds and parses the descriptor path', () => {
    const p = volumeDatastorePath('datastore1', 'v1');
    assert.equal(p, `[datastore1] dockvols/${DEFAULT_TENANT_UUID}/v1.vmdk`);
    assert.deepEqual(volumeFromDatastorePath(p), { datastore: 'datastore1', volume: 'v1', tenant: DEFAULT_TENANT_UUID });
    assert.deepEqual(volumeFromDatastorePath('[ds 2] dockvols/old.vmdk'), { datastore: 'ds 2', volume: 'old', tenant: undefined });
  });
  it('ignores extents, deltas, sidecars and other folders', () => {
    for (const f of ['v1-flat.vmdk', 'v1-000001.vmdk', 'v1-ctk.vmdk', 'v1-delta.vmdk', 'v1-1a2b.vmfd'])
      assert.equal(volumeFromDatastorePath(`[ds] dockvols/t/${f}`), undefined, f);
    assert.equal(volumeFromDatastorePath('[ds] docker-host-01/docker-host-01.vmdk'), undefined);
    assert.equal(volumeFromDatastorePath(`[ds] dockvols/${DEFAULT_TENANT_UUID}/v1-flat.vmdk`), undefined);
  });
  it('knows the files of a volume, sidecar included', () => {
    assert.ok(belongsToVolume('v1-0a1b2c3d.vmfd', 'v1'));
    assert.ok(belongsToVolume('v1-flat.vmdk', 'v1'));
    assert.ok(!belongsToVolume('v1-x-0a1b.vmfd', 'v1'));
  });
});

describe('CLI line', () => {
  it('puts options in vDVS order and quotes what needs it', () => {
    assert.equal(
      createVolumeCommandLine('my vol@datastore1', { 'attach-as': 'persistent', size: '1gb', 'vsan-policy-name': "it's gold" }),
      `docker volume create --driver=vsphere '--name=my vol@datastore1' -o size=1gb -o 'vsan-policy-name=it'\\''s gold' -o attach-as=persistent`,
    );
    assert.equal(
      createVolumeCommandLine('v', {}, { endpoint: 'ssh://root@h' }),
      'docker -H ssh://root@h volume create --driver=vsphere --name=v',
    );
  });
  it('neutralises shell metacharacters', () => {
    assert.equal(createVolumeCommandLine('$(rm -rf /);x', {}), `docker volume create --driver=vsphere '--name=$(rm -rf /);x'`);
  });
});

describe('backup eligibility', () => {
  it('persistent is included, independent_persistent (the vDVS default) is not, with the way out', () => {
    assert.equal(backupEligibility('persistent').includedInVmSnapshots, true);
    const skipped = backupEligibility(undefined);
    assert.equal(skipped.includedInVmSnapshots, false);
    assert.match(skipped.reason, /#636/);
    assert.match(skipped.wayOut, /attach-as=persistent/);
    assert.match(skipped.wayOut, /archive/);
    // esx_service/cli/vmdkops_admin.py: `volume set` requires --volume, --vmgroup and --options
    assert.match(skipped.wayOut, /volume set --volume=NAME@DATASTORE --vmgroup=_DEFAULT --options="attach-as=persistent"/);
  });
});

describe('server errors', () => {
  it('strips Docker wrapping and explains errno=104 and Device not found', () => {
    const e = explainServerError('Error response from daemon: create v1: VolumeDriver.Create: Failed to connect (errno=104)');
    assert.equal(e.message, 'Failed to connect (errno=104)');
    assert.match(e.explanation!, /VIB.*#602/);
    assert.match(explainServerError('(HTTP code 500) server error - create v: VolumeDriver.Mount: Device not found').explanation!, /#2023/);
    assert.equal(explainServerError('VolumeDriver.Create: something else').explanation, undefined);
  });

  it("unwraps a managed plugin's answer, which Docker prefixes with the operation and name only", () => {
    const raw = "Error response from daemon: create t7-x: Invalid options: ['sizes'] \nValid options and defaults: []";
    assert.equal(isDriverError(raw), true);
    assert.equal(driverMessage(raw), "Invalid options: ['sizes'] \nValid options and defaults: []");
    assert.equal(driverMessage('(HTTP code 500) server error - remove t7-x: Volume t7-x is in use'), 'Volume t7-x is in use');
    assert.equal(isDriverError('Error response from daemon: Cannot connect to the Docker daemon'), false);
  });
});

describe('correlate', () => {
  const ds = 'datastore1';
  const path = (v: string) => volumeDatastorePath(ds, v);
  const status = (extra: Record<string, unknown> = {}) => ({
    datastore: ds,
    'attach-as': 'independent_persistent',
    capacity: { size: '100MB', allocated: '13MB' },
    ...extra,
  });
  const rows = correlate({
    docker: [
      { hostId: 'h1', hostName: 'docker-a', name: 'shared', status: status({ 'attach-as': 'persistent' }), containers: ['web'] },
      { hostId: 'h2', hostName: 'docker-b', name: `shared@${ds}`, status: status({ 'attach-as': 'persistent' }), containers: [] },
      { hostId: 'h1', hostName: 'docker-a', name: 'gone', status: status(), containers: [] },
      { hostId: 'h1', hostName: 'docker-a', name: 'elsewhere@ds9', status: { datastore: 'ds9' }, containers: [] },
      { hostId: 'h1', hostName: 'docker-a', name: 'attached', status: status({ 'attach-as': 'persistent' }), containers: ['db'] },
    ],
    vmdks: [
      { esxiHostId: 'e1', path: path('shared'), sizeOnDiskBytes: 4096 },
      { esxiHostId: 'e1', path: path('stray') },
      { esxiHostId: 'e1', path: path('attached') },
    ],
    vmDisks: [{ esxiHostId: 'e1', vm: 'docker-host-01', path: path('attached'), diskMode: 'independent_persistent' }],
    scannedDatastores: [ds],
  });
  const byKey = (k: string) => rows.find((r) => r.key === k)!;

  it('joins the same volume seen by two hosts into one row', () => {
    const shared = byKey(`shared@${ds}`);
    assert.deepEqual(
      shared.docker.map((d) => d.hostName),
      ['docker-a', 'docker-b'],
    );
    assert.equal(shared.vmdk?.sizeOnDiskBytes, 4096);
    assert.deepEqual(shared.containers, [{ hostName: 'docker-a', container: 'web' }]);
    assert.equal(shared.backup.includedInVmSnapshots, true);
    assert.equal(shared.orphan, undefined);
  });
  it('finds orphans on both sides, only where the datastore was scanned', () => {
    assert.equal(byKey(`gone@${ds}`).orphan, 'vmdk-missing');
    assert.equal(byKey(`stray@${ds}`).orphan, 'no-docker-host');
    assert.equal(byKey('elsewhere@ds9').orphan, undefined);
  });
  it('judges backup by the disk mode actually attached', () => {
    const attached = byKey(`attached@${ds}`);
    assert.equal(attached.vmDisk?.vm, 'docker-host-01');
    assert.equal(attached.backup.includedInVmSnapshots, false);
  });
  it('groups by datastore and by Docker host', () => {
    assert.deepEqual(
      groupByDatastore(rows).map((g) => [g.label, g.rows.length]),
      [
        [ds, 4],
        ['ds9', 1],
      ],
    );
    assert.deepEqual(
      groupByDockerHost(rows).map((g) => [g.label, g.rows.length]),
      [
        ['docker-a', 4],
        ['docker-b', 1],
        [undefined, 1],
      ],
    );
  });
  it('fills vDVS defaults into the facts', () => {
    assert.deepEqual(volumeFacts({ 'clone-from': 'None' }), {
      datastore: undefined,
      size: undefined,
      allocated: undefined,
      diskformat: 'thin',
      attachAs: 'independent_persistent',
      access: 'read-write',
      fstype: undefined,
      status: undefined,
      attachedToVm: undefined,
      createdByVm: undefined,
      created: undefined,
      cloneFrom: undefined,
      vsanPolicy: undefined,
    });
  });
});
