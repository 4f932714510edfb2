import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runChecks } from '../../src/core/doctor/checks';
import { DoctorFacts, DockerFacts, EsxiFacts } from '../../src/core/doctor/collect';
import { groupDiskFiles } from '../../src/core/doctor/diskFiles';
import { somethingWrong } from '../../src/core/doctor/findings';
import { DockerContainer } from '../../src/core/docker/containers';
import { DatastoreEntry } from '../../src/core/vsphere/datastoreBrowser';
import { VmState } from '../../src/core/vsphere/inventory';

const T = '11111111-1111-1111-1111-111111111111';
const file = (path: string, size = 10): DatastoreEntry => ({
  location: { datastore: 'datastore1', path },
  name: path.split('/').pop()!,
  kind: path.endsWith('.vmdk') && !/-(flat|delta|\d{6})/.test(path) ? 'vmdk' : 'file',
  fileSize: size,
});
const volumeFiles = (vol: string, tenant = T) => [
  file(`dockvols/${tenant}/${vol}.vmdk`),
  file(`dockvols/${tenant}/${vol}-flat.vmdk`, 1000),
  file(`dockvols/${tenant}/${vol}-0123456789abcdef.vmfd`, 4096),
];
const vm = (name: string, powerState: string, disks: string[], extra: Partial<VmState> = {}): VmState => ({
  vm: { ref: { type: 'VirtualMachine', value: `vm-${name}` }, name, powerState },
  disks: disks.map((d, i) => ({
    key: 2001 + i,
    label: `Hard disk ${i + 2}`,
    capacityBytes: 1 << 20,
    diskMode: 'independent_persistent',
    fileName: `[datastore1] dockvols/${T}/${d}.vmdk`,
    location: { datastore: 'datastore1', path: `dockvols/${T}/${d}.vmdk` },
    isVdvs: true,
    independent: true,
    controllerKey: 202,
    unitNumber: i + 1,
  })),
  snapshots: [],
  ...extra,
});
const esxi = (entries: DatastoreEntry[], vms: VmState[], vib = '0.21.2-0.0.1'): EsxiFacts => ({
  hostId: 'esx',
  hostName: 'esx',
  config: { id: 'esx', name: 'esx', url: 'https://esx/sdk', user: 'root' },
  datacenter: { ref: { type: 'Datacenter', value: 'ha-datacenter' }, name: 'ha-datacenter' },
  datastores: [{ name: 'datastore1', entries }],
  vms,
  vib: { version: vib },
});
const status = (attachedTo?: string, attachAs = 'independent_persistent') => ({
  datastore: 'datastore1',
  'attach-as': attachAs,
  status: attachedTo ? 'attached' : 'detached',
  ...(attachedTo ? { 'attached to VM': attachedTo } : {}),
});
const container = (name: string, volume: string, state = 'running', labels: Record<string, string> = {}): DockerContainer => ({
  id: `id-${name}`,
  name,
  image: 'alpine',
  state,
  status: '',
  labels,
  mounts: [{ volume, target: '/data', readOnly: false, driver: 'vsphere:latest' }],
});
const docker = (
  volumes: Array<[string, ReturnType<typeof status>]>,
  containers: DockerContainer[] = [],
  version = '0.21.2',
): DockerFacts => ({
  hostId: 'dh',
  hostName: 'dh',
  vmName: 'docker-host-01',
  volumes: volumes.map(([name, s]) => ({ hostId: 'dh', hostName: 'dh', name, status: s, containers: [] })),
  containers,
  plugin: {
    installed: true,
    name: 'vsphere:latest',
    id: 'p',
    enabled: true,
    reference: 'reg/vmware/vsphere-storage-for-docker:latest',
    version,
    env: [],
  },
});
const check = (facts: DoctorFacts, alive = false) =>
  runChecks(facts, { ownerState: () => (alive ? 'alive' : 'dead'), now: new Date('2026-12-04T10:00:00Z') });
const ids = (facts: DoctorFacts, alive = false) => check(facts, alive).map((f) => f.id);

describe('doctor: files grouped per disk', () => {
  it('puts descriptor, flat, deltas and sidecar of one disk in one group; _DEFAULT and its uuid folder are one place', () => {
    const groups = groupDiskFiles([
      ...volumeFiles('a-b'),
      ...volumeFiles('a-b', '_DEFAULT'),
      file(`dockvols/${T}/a-b-000001.vmdk`),
      file(`dockvols/${T}/a-b-000001-delta.vmdk`),
      file(`dockvols/${T}/c-flat.vmdk`),
      { ...file(`dockvols/${T}`), kind: 'folder' },
      file('dockvols/_DEFAULT', 36),
      file(`dockvols/${T}/.lock`),
    ]);
    assert.deepEqual(
      groups.map((g) => [g.name, g.files.length, g.deltas.length, !!g.descriptor, !!g.sidecar]),
      [
        ['a-b', 5, 2, true, true],
        ['c', 1, 0, false, false],
      ],
    );
  });
});

describe('doctor: attach state', () => {
  it('is clean when the attached disk is on the Docker host VM and a container uses it', () => {
    const facts = {
      esxi: [esxi(volumeFiles('v'), [vm('docker-host-01', 'poweredOn', ['v'])])],
      docker: [docker([['v', status('docker-host-01')]], [container('c', 'v')])],
    };
    assert.deepEqual(ids(facts), []);
    assert.equal(somethingWrong(check(facts)), false);
  });
  it('finds a record attached while no VM has the disk, with a clear-record fix on its sidecar', () => {
    const [f] = check({
      esxi: [esxi(volumeFiles('v'), [vm('docker-host-01', 'poweredOn', [])])],
      docker: [docker([['v', status('docker-host-01')]])],
    });
    assert.equal(f.id, 'attached-no-vm:v@datastore1');
    assert.equal(f.severity, 'error');
    assert.deepEqual(
      f.fixes.map((x) => x.id),
      ['clear-record:v@datastore1'],
    );
    assert.deepEqual(f.fixes[0].plan, {
      kind: 'clear-record',
      esxiHostId: 'esx',
      datacenter: 'ha-datacenter',
      sidecar: { datastore: 'datastore1', path: `dockvols/${T}/v-0123456789abcdef.vmfd` },
    });
  });
  it('finds a disk on a powered-off VM and offers to detach it keeping the file', () => {
    const [f] = check({ esxi: [esxi(volumeFiles('v'), [vm('old-vm', 'poweredOff', ['v'])])], docker: [docker([['v', status('old-vm')]])] });
    assert.equal(f.id, 'attached-powered-off:v@datastore1');
    assert.equal(f.fixes[0].plan.kind, 'detach-disk');
    assert.match(f.fixes[0].cli, /govc device\.remove -vm old-vm -keep 'Hard disk 2'/);
  });
  it('finds a disk attached to another VM than the Docker host using it, and an unused attached disk', () => {
    const facts = {
      esxi: [esxi([...volumeFiles('v'), ...volumeFiles('w')], [vm('other-vm', 'poweredOn', ['v', 'w'])])],
      docker: [
        docker(
          [
            ['v', status('other-vm')],
            ['w', status('other-vm')],
          ],
          [container('c', 'v')],
        ),
      ],
    };
    assert.deepEqual(ids(facts), ['attached-other-vm:v@datastore1', 'attached-unused:w@datastore1']);
  });
  it('finds a disk whose mode differs from its attach-as', () => {
    const facts = {
      esxi: [esxi(volumeFiles('v'), [vm('docker-host-01', 'poweredOn', ['v'])])],
      docker: [docker([['v', status('docker-host-01', 'persistent')]], [container('c', 'v')])],
    };
    assert.deepEqual(ids(facts), ['disk-mode:v@datastore1']);
  });
});

describe('doctor: orphans and leftovers', () => {
  it('finds a VMDK no Docker host lists, in a tenant folder, as one finding with a quarantine of its three files', () => {
    const tenant = '22222222-2222-2222-2222-222222222222';
    const [f, ...rest] = check({
      esxi: [esxi([...volumeFiles('v'), ...volumeFiles('gone', tenant)], [])],
      docker: [docker([['v', status()]])],
    });
    assert.equal(rest.length, 0);
    assert.equal(f.id, `orphan-vmdk:esx/[datastore1] dockvols/${tenant}/gone.vmdk`);
    const plan = f.fixes[0].plan;
    assert.equal(plan.kind, 'quarantine');
    if (plan.kind !== 'quarantine') return;
    assert.equal(plan.files.length, 3);
    assert.equal(plan.to.path, `.quarantine/dockvols/${tenant}/gone-20261204T100000Z`);
  });
  it('calls nothing an orphan while a Docker host could not be read', () => {
    const dh = { ...docker([]), error: 'unreachable' };
    assert.deepEqual(ids({ esxi: [esxi(volumeFiles('v'), [])], docker: [dh] }), ['unreachable:dh']);
  });
  it('finds a volume whose VMDK is gone', () => {
    assert.deepEqual(ids({ esxi: [esxi([], [])], docker: [docker([['v', status()]])] }), ['vmdk-missing:v@datastore1']);
  });
  it("finds a backup snapshot of a dead run (with a fix) and leaves a live run's alone; deltas under a snapshot are expected", () => {
    const owner = JSON.stringify({ runId: 'r1', host: 'h', pid: 1 });
    const snapshots = [
      {
        ref: { type: 'VirtualMachineSnapshot', value: 's1' },
        name: 'vdvs-backup-r1-x',
        description: `vdvs backup of v; safe to remove if left behind. Run: ${owner}`,
      },
    ];
    const files = [...volumeFiles('v'), file(`dockvols/${T}/v-000001-delta.vmdk`)];
    const facts = {
      esxi: [esxi(files, [vm('docker-host-01', 'poweredOn', ['v'], { snapshots })])],
      docker: [docker([['v', status('docker-host-01')]], [container('c', 'v')])],
    };
    const found = check(facts);
    assert.deepEqual(
      found.map((f) => f.id),
      ['leftover-snapshot:esx/docker-host-01/vdvs-backup-r1-x'],
    );
    assert.deepEqual(
      found[0].fixes.map((f) => f.id),
      ['remove-snapshot:esx/docker-host-01/vdvs-backup-r1-x'],
    );
    assert.deepEqual(ids(facts, true), []);
  });
  it('finds delta disks no snapshot holds, without offering to delete them', () => {
    const files = [...volumeFiles('v'), file(`dockvols/${T}/v-000001-delta.vmdk`)];
    const [f] = check({ esxi: [esxi(files, [])], docker: [docker([['v', status()]])] });
    assert.equal(f.id, `leftover-delta:esx/[datastore1] dockvols/${T}/v.vmdk`);
    assert.deepEqual(f.fixes, []);
  });
  it('finds helper containers of dead backup runs', () => {
    const labels = { 'vdvs.backup.helper': 'v', 'vdvs.backup.owner': JSON.stringify({ runId: 'r', host: 'h', pid: 1 }) };
    const facts = {
      esxi: [esxi(volumeFiles('v'), [])],
      docker: [docker([['v', status()]], [container('helper', 'v', 'created', labels)])],
    };
    assert.deepEqual(ids(facts), ['dead-helper:dh/helper']);
    assert.deepEqual(ids(facts, true), []);
  });
});

describe('doctor: versions', () => {
  it('flags a VIB and plugin of different versions, offering a plugin upgrade to a newer VIB', () => {
    const [f] = check({ esxi: [esxi([], [], '0.21.3-0.0.1')], docker: [docker([])] });
    assert.equal(f.id, 'version-mismatch:dh');
    assert.deepEqual(f.fixes[0].plan, {
      kind: 'upgrade-plugin',
      dockerHostId: 'dh',
      plugin: 'vsphere:latest',
      reference: 'reg/vmware/vsphere-storage-for-docker:0.21.3',
    });
    const [older] = check({ esxi: [esxi([], [], '0.21.1-0.0.1')], docker: [docker([])] });
    assert.deepEqual(older.fixes, []);
  });
  it('is clean when the build suffix is all that differs; a missing VIB is an error', () => {
    assert.deepEqual(ids({ esxi: [esxi([], [])], docker: [docker([])] }), []);
    assert.deepEqual(ids({ esxi: [{ ...esxi([], []), vib: {} }], docker: [docker([])] }), ['vib-missing:esx']);
  });
});
