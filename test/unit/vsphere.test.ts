import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UserError } from '../../src/core/errors';
import { faultFrom, transportError } from '../../src/core/vsphere/faults';
import { govcCommand } from '../../src/core/vsphere/govc';
import { parseDisks } from '../../src/core/vsphere/inventory';
import { arr, bool, num, ref, str, xsiType } from '../../src/core/vsphere/normalize';
import { normalizeThumbprint } from '../../src/core/vsphere/tls';

const mor = (type: string, value: string) => ({ attributes: { type }, $value: value });

describe('vsphere normalize (npm soap shapes)', () => {
  it('turns one-element objects into arrays and unwraps $value leaves', () => {
    assert.deepEqual(arr(undefined), []);
    assert.deepEqual(arr({ a: 1 }), [{ a: 1 }]);
    assert.deepEqual(arr([1, 2]), [1, 2]);
    assert.equal(str({ attributes: { 'xsi:type': 'xsd:string' }, $value: 'x' }), 'x');
    assert.equal(num('270553174016'), 270553174016);
    assert.equal(num('abc'), undefined);
    assert.equal(bool('true'), true);
    assert.equal(bool('false'), false);
    assert.deepEqual(ref(mor('Datastore', 'ds-1')), { type: 'Datastore', value: 'ds-1' });
    assert.equal(ref('ds-1'), undefined);
    assert.equal(xsiType({ attributes: { 'XMLSchema-instance:type': 'DatastoreSummary' } }), 'DatastoreSummary');
    assert.equal(xsiType({ attributes: { 'xsi:type': 'vim25:VirtualDisk', type: 'x' } }), 'VirtualDisk');
  });
});

describe('vsphere parseDisks', () => {
  const disk = (file: string, mode: string, extra: object = {}) => ({
    attributes: { 'xsi:type': 'VirtualDisk' },
    key: '2001',
    deviceInfo: { label: 'Hard disk 2' },
    capacityInKB: '1048576',
    controllerKey: '1000',
    unitNumber: '1',
    backing: { attributes: { 'xsi:type': 'VirtualDiskFlatVer2BackingInfo' }, fileName: file, diskMode: mode, thinProvisioned: 'true' },
    ...extra,
  });
  it('keeps only VirtualDisks, marks vDVS disks and independent modes', () => {
    const disks = parseDisks({
      VirtualDevice: [
        { attributes: { 'xsi:type': 'VirtualCdrom' }, key: '3000' },
        disk('[datastore1] dockvols/11111111-1111-1111-1111-111111111111/v.vmdk', 'independent_persistent'),
        disk('[datastore1] vm/vm.vmdk', 'persistent', { capacityInBytes: '5' }),
      ],
    });
    assert.equal(disks.length, 2);
    assert.deepEqual(
      [disks[0].isVdvs, disks[0].independent, disks[0].capacityBytes, disks[0].thin, disks[0].unitNumber],
      [true, true, 1024 ** 3, true, 1],
    );
    assert.deepEqual([disks[1].isVdvs, disks[1].independent, disks[1].capacityBytes], [false, false, 5]);
  });
  it('accepts a single device given as an object', () => {
    assert.equal(parseDisks({ VirtualDevice: disk('[ds] a.vmdk', 'persistent') }).length, 1);
  });
  it('tolerates a backing without a datastore path', () => {
    const [d] = parseDisks({ VirtualDevice: disk('/vmfs/devices/disks/naa.1', 'persistent') });
    assert.equal(d.location, undefined);
    assert.equal(d.isVdvs, false);
  });
});

describe('vsphere faults', () => {
  it('reads the fault type from the detail xsi:type', () => {
    const f = faultFrom(
      {
        root: {
          Envelope: {
            Body: {
              Fault: { faultstring: 'Login failure', detail: { InvalidLoginFault: { attributes: { 'xsi:type': 'InvalidLogin' } } } },
            },
          },
        },
      },
      'Login',
    );
    assert.equal(f?.faultName, 'InvalidLogin');
    assert.equal(f?.message, 'Login: InvalidLogin: Login failure');
    assert.equal(faultFrom(new Error('x'), 'Login'), undefined);
  });
  it('explains refused connections and unwraps refusals wrapped by axios', () => {
    const refused = transportError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'h:443');
    assert.ok(refused instanceof UserError && refused.code === 'UNREACHABLE');
    const inner = new UserError('pinned mismatch', undefined, 'CERT_CHANGED');
    assert.equal(transportError(Object.assign(new Error('wrapped'), { cause: inner }), 'h'), inner);
  });
});

describe('vsphere thumbprints and govc lines', () => {
  it('normalizes thumbprints in any common spelling', () => {
    const hex = 'ab'.repeat(32);
    const canonical = 'AB:'.repeat(31) + 'AB';
    assert.equal(normalizeThumbprint(hex), canonical);
    assert.equal(normalizeThumbprint(canonical.toLowerCase()), canonical);
    assert.equal(normalizeThumbprint('AB:CD'), undefined);
  });
  it('builds govc lines without the password, quoting what needs it', () => {
    const host = { url: 'https://esx/sdk', user: 'root' };
    assert.equal(
      govcCommand(host, {
        kind: 'vmdk',
        datacenter: 'ha-datacenter',
        location: { datastore: 'datastore 1', path: 'dockvols/_DEFAULT/v.vmdk' },
      }),
      "GOVC_URL=https://esx/sdk GOVC_USERNAME=root GOVC_DATACENTER=ha-datacenter govc datastore.disk.info -ds 'datastore 1' dockvols/_DEFAULT/v.vmdk",
    );
    assert.equal(govcCommand(host, { kind: 'host' }), 'GOVC_URL=https://esx/sdk GOVC_USERNAME=root govc about');
  });
});
