import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadCliSecrets, parseCliConfig, secretEnvName } from '../../src/core/backup/cliConfig';
import { checkJob } from '../../src/core/backup/job';
import { planDisks } from '../../src/core/backup/snapshotMode';
import { recreateOptions } from '../../src/core/backup/dockerHelper';
import {
  descriptorExtent,
  descriptorForVolume,
  descriptorProblem,
  descriptorSidecar,
  detachedSidecar,
  volumeFileNames,
} from '../../src/core/backup/vmdkFiles';
import { formatProgress, ProgressMeter } from '../../src/core/backup/progress';
import { VmDisk } from '../../src/core/vsphere/inventory';
import { UserError } from '../../src/core/errors';

const DESCRIPTOR = `# Disk DescriptorFile
version=1
CID=1234abcd
createType="vmfs"

# Extent description
RW 131072 VMFS "vol1-flat.vmdk"

# The Disk Data Base
ddb.adapterType = "busLogic"
ddb.sidecars = "docker-volume-vsphere,vol1-0123456789abcdef.vmfd"
ddb.uuid = "60 00"
`;

describe('VMDK files on restore', () => {
  it('writes the extent and the sidecar under names made from the new volume, and changes nothing else', () => {
    const out = descriptorForVolume(DESCRIPTOR, 'v2', 'v2-00ff00ff00ff00ff.vmfd');
    assert.deepEqual(descriptorExtent(out), { file: 'v2-flat.vmdk', sectors: 131072 });
    assert.equal(descriptorSidecar(out), 'v2-00ff00ff00ff00ff.vmfd');
    assert.equal(out.replace('v2-flat', 'vol1-flat').replace('v2-00ff00ff00ff00ff', 'vol1-0123456789abcdef'), DESCRIPTOR);
    const forged = DESCRIPTOR.replace('vol1-flat.vmdk', 'prodVM.vmx');
    assert.equal(descriptorExtent(descriptorForVolume(forged, 'v2', undefined))?.file, 'v2-flat.vmdk', 'whatever the backup names');
    assert.equal(descriptorSidecar(descriptorForVolume(DESCRIPTOR, 'v2', undefined)), undefined);
  });
  it("names a volume's files from its name alone, with a fresh 16-hex sidecar", () => {
    const a = volumeFileNames('v2');
    assert.deepEqual({ ...a, sidecar: undefined }, { descriptor: 'v2.vmdk', flat: 'v2-flat.vmdk', sidecar: undefined });
    assert.match(a.sidecar, /^v2-[0-9a-f]{16}\.vmfd$/);
    assert.notEqual(volumeFileNames('v2').sidecar, a.sidecar);
  });
  it('refuses a descriptor that names a file outside its folder, a parent disk, or not one extent', () => {
    assert.equal(descriptorProblem(DESCRIPTOR), undefined);
    assert.match(
      descriptorProblem(DESCRIPTOR.replace('vol1-flat.vmdk', '../prodVM/prodVM-flat.vmdk'))!,
      /names '\.\.\/prodVM\/prodVM-flat\.vmdk'/,
    );
    assert.match(descriptorProblem(DESCRIPTOR.replace('vol1-0123456789abcdef.vmfd', '..'))!, /names '\.\.'/);
    assert.match(descriptorProblem(DESCRIPTOR.replace('vol1-0123456789abcdef.vmfd', 'a\\b.vmfd'))!, /names 'a\\b\.vmfd'/);
    assert.match(descriptorProblem(`${DESCRIPTOR}parentFileNameHint="base.vmdk"\n`)!, /parent disk 'base\.vmdk'/);
    assert.match(descriptorProblem(DESCRIPTOR.replace(/^RW.*$/m, '$&\nRW 8 VMFS "second-flat.vmdk"'))!, /2 extents/);
  });
  it('clears the attachment in the sidecar and keeps its padded length', () => {
    const meta = JSON.stringify({
      status: 'attached',
      attachedVMUuid: 'u',
      attachedVMName: 'docker-host-01',
      attachedVMDevice: { unit: 1 },
      volOpts: { size: '64mb' },
    });
    const padded = Buffer.from(`${meta}${' '.repeat(4095 - meta.length)}\n`);
    const out = detachedSidecar(padded)!;
    assert.equal(out.length, 4096);
    assert.deepEqual(JSON.parse(out.toString()), { status: 'detached', volOpts: { size: '64mb' } });
    assert.equal(detachedSidecar(Buffer.from([0, 1, 2])), undefined, 'a sidecar that is not JSON is kept as is');
  });
});

describe('snapshot disk plan', () => {
  const disk = (key: number, path: string, diskMode: string, isVdvs = true): VmDisk => ({
    key,
    label: `disk ${key}`,
    capacityBytes: 1,
    diskMode,
    fileName: `[ds1] ${path}`,
    location: { datastore: 'ds1', path },
    isVdvs,
    independent: diskMode.startsWith('independent'),
  });
  const disks = [
    disk(1, 'vm/vm.vmdk', 'persistent', false),
    disk(2, 'dockvols/_DEFAULT/a.vmdk', 'persistent'),
    disk(3, 'dockvols/_DEFAULT/b.vmdk', 'independent_persistent'),
    disk(4, 'dockvols/_DEFAULT/c.vmdk', 'persistent'),
  ];
  it('includes only the asked volumes and excludes every other disk', () => {
    const plan = planDisks('vm', disks, ['a@ds1']);
    assert.deepEqual(
      plan.included.map((p) => p.disk.key),
      [2],
    );
    assert.deepEqual(
      plan.excluded.map((d) => d.key),
      [1, 3, 4],
    );
  });
  it('refuses an independent disk with the reason and the fix', () => {
    assert.throws(() => planDisks('vm', disks, ['a', 'b']), /b is attached as independent_persistent.*attach-as=persistent.*archive/s);
  });
  it('refuses a volume that is not attached to the VM', () => {
    assert.throws(() => planDisks('vm', disks, ['zzz']), /zzz is not attached to vm/);
    assert.throws(() => planDisks('vm', disks, ['a@ds2']), /not attached/, 'another datastore is another volume');
  });
});

describe('backup jobs', () => {
  const good = { dockerHost: 'h', destination: '/b', retain: 3 };
  it('fills defaults', () => {
    assert.deepEqual(checkJob(good, 'x'), {
      dockerHost: 'h',
      volumes: 'all',
      mode: 'archive',
      destination: '/b',
      retain: 3,
      compression: 'none',
      stopContainers: false,
    });
  });
  for (const [what, job, msg] of [
    ['no docker host', { destination: '/b' }, /dockerHost/],
    ['empty volume list', { ...good, volumes: [] }, /"volumes"/],
    ['bad mode', { ...good, mode: 'tape' }, /"mode"/],
    ['bad compression', { ...good, compression: 'zip' }, /"compression"/],
    ['compression in snapshot mode', { ...good, mode: 'snapshot', compression: 'gzip' }, /archive mode only/],
    ['retain 0', { ...good, retain: 0 }, /retain/],
    ['a typo', { ...good, retian: 3 }, /unknown setting\(s\) retian/],
    ['a password', { ...good, password: 'x' }, /unknown setting|secrets/],
  ] as const) {
    it(`rejects ${what}`, () => assert.throws(() => checkJob(job, 'x'), msg));
  }
});

describe('CLI config and secrets', () => {
  const config = {
    dockerHosts: [{ name: 'lab', endpoint: 'unix:///x.sock', esxiHost: 'esx', vm: 'docker-host-01' }],
    esxiHosts: [{ name: 'esx', url: 'https://h/sdk', user: 'root', thumbprint: 'AB' }],
    jobs: [{ name: 'nightly', dockerHost: 'lab', mode: 'snapshot', destination: '/b', retain: 2 }],
  };
  it('reads hosts and jobs', () => {
    const c = parseCliConfig(config, 'c.json');
    assert.equal(c.dockerHosts[0].esxiHostId, 'esx');
    assert.equal(c.dockerHosts[0].vmName, 'docker-host-01');
    assert.equal(c.jobs[0].name, 'nightly');
    assert.equal(c.requestTimeoutSeconds, 30);
    assert.equal(c.pluginAlias, 'vsphere', 'restores create volumes with the default alias');
  });
  it('takes the plugin alias restores create volumes with, and refuses an empty one', () => {
    assert.equal(parseCliConfig({ ...config, pluginAlias: 'vdvs' }, 'c.json').pluginAlias, 'vdvs');
    assert.throws(() => parseCliConfig({ ...config, pluginAlias: ' ' }, 'c.json'), /"pluginAlias" must be/);
  });
  it("gives each Docker host its own pluginAlias, else the config's", () => {
    const hosts = [
      { name: 'a', endpoint: 'unix:///a.sock' },
      { name: 'b', endpoint: 'unix:///b.sock', pluginAlias: 'vsphere2' },
    ];
    assert.deepEqual(
      parseCliConfig({ ...config, pluginAlias: 'vdvs', dockerHosts: hosts, jobs: [] }, 'c.json').dockerHosts.map((h) => h.pluginAlias),
      ['vdvs', 'vsphere2'],
    );
    assert.deepEqual(
      parseCliConfig({ ...config, dockerHosts: hosts, jobs: [] }, 'c.json').dockerHosts.map((h) => h.pluginAlias),
      ['vsphere', 'vsphere2'],
    );
  });
  it('refuses a secret in the config, wherever it is', () => {
    assert.throws(
      () => parseCliConfig({ ...config, esxiHosts: [{ ...config.esxiHosts[0], password: 'p' }] }, 'c.json'),
      /"password" looks like a secret/,
    );
  });
  it('refuses a job naming an unknown host', () => {
    assert.throws(() => parseCliConfig({ ...config, jobs: [{ ...config.jobs[0], dockerHost: 'nope' }] }, 'c.json'), /not in dockerHosts/);
  });
  it('takes passwords from the environment first, then the secrets file, else says how to give one', async () => {
    const dir = await fs.mkdtemp(join(tmpdir(), 'vdvs-secrets-'));
    const file = join(dir, 's.json');
    await fs.writeFile(file, JSON.stringify({ esxiHosts: { esx: { password: 'from-file' } } }), { mode: 0o600 });
    const host = { id: 'esx', name: 'esx', url: 'u', user: 'root' };
    assert.equal((await loadCliSecrets(file, {})).esxiPassword(host), 'from-file');
    assert.equal((await loadCliSecrets(file, { [secretEnvName('ESXI_PASSWORD', 'esx')]: 'from-env' })).esxiPassword(host), 'from-env');
    await assert.rejects(
      loadCliSecrets(undefined, {}).then((s) => s.esxiPassword(host)),
      (e: unknown) => e instanceof UserError && /VDVS_ESXI_PASSWORD_ESX/.test(e.hint ?? ''),
    );
    await fs.rm(dir, { recursive: true });
  });
});

describe('progress', () => {
  it('reports bytes, MB/s and ETA', () => {
    const seen: string[] = [];
    const meter = new ProgressMeter('Archive', (p) => seen.push(formatProgress(p)), 100 * 1048576, 0);
    meter.add(50 * 1048576);
    const last = meter.finish();
    assert.equal(last.bytes, 50 * 1048576);
    assert.ok(last.etaSeconds !== undefined && last.etaSeconds > 0);
    assert.match(seen[seen.length - 1], /^Archive: 50\.0 MiB of 100\.0 MiB \(50%\), [\d.]+ MB\/s, ETA \d+/);
  });
});

describe('options to recreate a volume', () => {
  it('keeps the options Docker recorded', () => {
    assert.deepEqual(recreateOptions({ name: 'v', driver: 'vsphere:latest', options: { size: '1gb' }, status: { diskformat: 'thin' } }), {
      size: '1gb',
    });
  });
  it('reads them back from the vDVS status when Docker has none (volumes listed as vol@ds)', () => {
    const status = {
      capacity: { size: '64MB', allocated: '13MB' },
      diskformat: 'zeroedthick',
      'attach-as': 'persistent',
      access: 'read-write',
      fstype: 'ext4',
    };
    assert.deepEqual(recreateOptions({ name: 'v@ds', driver: 'vsphere:latest', options: {}, status }), {
      size: '64mb',
      diskformat: 'zeroedthick',
      'attach-as': 'persistent',
      access: 'read-write',
      fstype: 'ext4',
    });
  });
  it('leaves other drivers alone', () => {
    assert.deepEqual(recreateOptions({ name: 'v', driver: 'local', options: {}, status: { diskformat: 'thin' } }), {});
  });
});
