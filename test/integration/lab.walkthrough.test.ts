/**
 * Issue 3, "done when": the reference walkthrough (../shared/reference-walkthrough.txt) driven
 * against the running lab with the real CLIs only — /usr/bin/docker (DOCKER_HOST = the lab
 * socket), ssh/scp (the lab's ESXi shell) and curl (vcsim's SOAP API and /folder) — in order:
 *
 *   0. without the VIB, `docker volume create` fails with vDVS's errno=104 text (#602)
 *   1. scp the VIB, `esxcli software vib install -v`, `/etc/init.d/hostd restart`, `ps -c | grep vmdk`
 *   2. `docker plugin install --grant-all-permissions --alias vsphere <registry ref>`
 *   3. create dockerVol and dockerVolPersistent (-o size=1gb, the second -o attach-as=persistent)
 *   4. inspect both (the vDVS Status fields)
 *   5. both VMDKs under [datastore1] dockvols (SearchDatastoreSubFolders + /folder over curl)
 *   6. the alpine container with the mount writes a file that is then found inside the VMDK's
 *      flat file (debugfs) while the disk shows attached to docker-host-01 in vcsim
 *   7. bad options and bad names give the vDVS error texts
 *
 * It leaves the lab as it found it (plugin not installed, the VIB as it was, its volumes removed),
 * so it can run again on the same lab.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';

const pexec = promisify(execFile);
const DOCKER = '/usr/bin/docker'; // /usr/local/bin/docker may be a newer client
const VIB_NAME = 'esx-vmdkops-service';
const VOLS = ['dockerVol', 'dockerVolPersistent'];
const CONTAINER = 'devtest';

interface Lab {
  vsphere: {
    url: string;
    user: string;
    password: string;
    certPath: string;
    datastore: string;
    datastorePath: string;
    vm: string;
    datacenter: string;
    hostRef: string;
  };
  ssh: { host: string; port: number; user: string; keyPath: string; knownHostsPath: string };
  vib: { path: string; name: string; version: string };
  docker: { host: string; socket: string; image: string };
  registry: string;
  plugin: { ref: string; alias: string; driver: string };
}

/** lab.json of the running lab (lab/labInfo.mjs is ESM, which compiled CommonJS tests cannot require). */
function readLab(): Lab {
  const file = join(process.env.VDVS_LAB_DIR ?? '/tmp/vdvs-lab', 'lab.json');
  assert.ok(existsSync(file), `${file} is missing: the lab is not running (npm run lab)`);
  const lab = JSON.parse(readFileSync(file, 'utf8')) as Lab;
  assert.ok(lab.docker && lab.plugin, 'lab.json has no docker piece');
  return lab;
}

interface Out {
  code: number;
  stdout: string;
  stderr: string;
}
async function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeout?: number } = {}): Promise<Out> {
  try {
    const r = await pexec(cmd, args, { env: opts.env ?? process.env, timeout: opts.timeout ?? 120_000, maxBuffer: 32 << 20 });
    return { code: 0, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string; message: string };
    return { code: typeof x.code === 'number' ? x.code : 1, stdout: String(x.stdout ?? ''), stderr: String(x.stderr ?? x.message) };
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const xmlText = (xml: string, tag: string) => [...xml.matchAll(new RegExp(`<${tag}[^>]*>([^<]*)</${tag}>`, 'g'))].map((m) => m[1]);

describe('issue 3: the reference walkthrough against the lab, with the real CLIs', { timeout: 300_000 }, () => {
  let lab: Lab;
  let env: NodeJS.ProcessEnv;
  let vibWasInstalled = false;
  let pluginWasInstalled = false;
  const docker = (...args: string[]) => run(DOCKER, args, { env });
  const dockerOk = async (...args: string[]) => {
    const r = await docker(...args);
    assert.equal(r.code, 0, `docker ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };
  const sshArgs = () => [
    '-i',
    lab.ssh.keyPath,
    '-o',
    `UserKnownHostsFile=${lab.ssh.knownHostsPath}`,
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'ConnectTimeout=10',
  ];
  const ssh = (command: string) => run('ssh', [...sshArgs(), '-p', String(lab.ssh.port), `${lab.ssh.user}@${lab.ssh.host}`, command]);
  const scp = (local: string, remote: string) =>
    run('scp', [...sshArgs(), '-P', String(lab.ssh.port), local, `${lab.ssh.user}@${lab.ssh.host}:${remote}`]);
  const vibInstalled = async () => (await ssh('esxcli software vib list')).stdout.includes(VIB_NAME);
  const hostdRestartAndWait = async () => {
    const r = await ssh('/etc/init.d/hostd restart');
    assert.equal(r.code, 0, r.stderr);
    // the walkthrough's check: the vmdk_ops service shows up in `ps -c` once hostd is back
    const t0 = Date.now();
    for (;;) {
      const ps = await ssh('ps -c | grep vmdk');
      if (ps.code === 0 && /vmdk_ops/.test(ps.stdout)) return ps.stdout;
      assert.ok(Date.now() - t0 < 30_000, `vmdk_ops not in ps -c after hostd restart: ${ps.stdout}${ps.stderr}`);
      await sleep(500);
    }
  };

  // curl against vcsim's SOAP API (cookie jar per test run)
  const cookieJar = join(process.env.TMPDIR ?? '/tmp', `vdvs-walkthrough-${process.pid}.cookies`);
  const soap = async (body: string) => {
    const envelope =
      '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:urn="urn:vim25">' +
      `<soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`;
    const r = await run('curl', [
      '-sS',
      '--cacert',
      lab.vsphere.certPath,
      '-b',
      cookieJar,
      '-c',
      cookieJar,
      '-H',
      'Content-Type: text/xml; charset=utf-8',
      '-H',
      'SOAPAction: urn:vim25/6.7',
      '--data-binary',
      envelope,
      lab.vsphere.url,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes('<soapenv:Fault>'), `SOAP fault: ${r.stdout}`);
    return r.stdout;
  };
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const retrieve = (type: string, ref: string, prop: string) =>
    soap(
      `<urn:RetrievePropertiesEx><urn:_this type="PropertyCollector">ha-property-collector</urn:_this><urn:specSet>` +
        `<urn:propSet><urn:type>${type}</urn:type><urn:pathSet>${prop}</urn:pathSet></urn:propSet>` +
        `<urn:objectSet><urn:obj type="${type}">${esc(ref)}</urn:obj></urn:objectSet></urn:specSet><urn:options/></urn:RetrievePropertiesEx>`,
    );

  before(async () => {
    lab = readLab();
    env = { ...process.env, DOCKER_HOST: lab.docker.host };
    delete env.DOCKER_CONTEXT;
    delete env.DOCKER_TLS_VERIFY;
    delete env.DOCKER_CERT_PATH;
    // a clean start: no container/volumes of ours, plugin not installed, VIB absent
    await docker('rm', '-f', CONTAINER);
    if ((await docker('plugin', 'inspect', lab.plugin.alias)).code === 0) {
      pluginWasInstalled = true; // a lab started with --plugin-preinstalled
      await docker('plugin', 'enable', lab.plugin.alias);
      for (const v of VOLS) await docker('volume', 'rm', '-f', v);
      await dockerOk('plugin', 'rm', '-f', lab.plugin.alias);
    }
    vibWasInstalled = await vibInstalled();
    if (vibWasInstalled) {
      const r = await ssh(`esxcli software vib remove -n ${VIB_NAME}`);
      assert.equal(r.code, 0, r.stdout + r.stderr);
    }
    await soap(
      `<urn:Login><urn:_this type="SessionManager">ha-sessionmgr</urn:_this><urn:userName>${esc(lab.vsphere.user)}</urn:userName>` +
        `<urn:password>${esc(lab.vsphere.password)}</urn:password></urn:Login>`,
    );
  });

  after(async () => {
    if (!lab) return;
    await docker('rm', '-f', CONTAINER);
    if ((await docker('plugin', 'inspect', lab.plugin.alias)).code === 0) {
      for (const v of VOLS) await docker('volume', 'rm', v);
      await docker('plugin', 'rm', '-f', lab.plugin.alias);
    }
    const now = await vibInstalled().catch(() => vibWasInstalled);
    if (now && !vibWasInstalled) await ssh(`esxcli software vib remove -n ${VIB_NAME}`);
    if (!now && vibWasInstalled) {
      await scp(lab.vib.path, '/tmp/restore.vib');
      await ssh('esxcli software vib install -v /tmp/restore.vib && /etc/init.d/hostd restart');
    }
    if (pluginWasInstalled && (await docker('plugin', 'inspect', lab.plugin.alias)).code !== 0) {
      await docker('plugin', 'install', '--grant-all-permissions', '--alias', lab.plugin.alias, lab.plugin.ref);
    }
    await run('rm', ['-f', cookieJar]);
  });

  it('0. without the VIB on the ESXi host, volume create fails with errno=104 (vDVS #602)', async () => {
    await dockerOk('plugin', 'install', '--grant-all-permissions', '--alias', lab.plugin.alias, lab.plugin.ref);
    const r = await docker('volume', 'create', '--driver=vsphere', '--name=noVib');
    assert.notEqual(r.code, 0);
    assert.equal(
      r.stderr.trim(),
      "Error response from daemon: create noVib: VolumeDriver.Create: Run 'create' failed: connection reset by peer (errno=104) -  " +
        'Cannot communicate with ESX, please refer to the FAQ https://github.com/vmware/vsphere-storage-for-docker/wiki#faq',
    );
    await dockerOk('plugin', 'rm', '-f', lab.plugin.alias);
  });

  it('1. scp + esxcli software vib install -v, hostd restart, ps -c shows vmdk_ops', async () => {
    const remote = `/tmp/${lab.vib.path.split('/').pop()}`;
    const cp = await scp(lab.vib.path, remote);
    assert.equal(cp.code, 0, cp.stderr);
    const inst = await ssh(`esxcli software vib install -v ${remote}`);
    assert.equal(inst.code, 0, inst.stdout + inst.stderr);
    assert.match(inst.stdout, /Installation Result/);
    assert.match(inst.stdout, /VIBs Installed: .*esx-vmdkops-service/);
    assert.ok(await vibInstalled(), 'esxcli software vib list does not list the VIB');
    const ps = await hostdRestartAndWait();
    assert.match(ps, /vmdk_ops/);
  });

  it('2. docker plugin install --grant-all-permissions --alias vsphere from the lab registry', async () => {
    assert.ok(lab.plugin.ref.startsWith(`${lab.registry}/vmware/vsphere-storage-for-docker:`));
    const out = await dockerOk('plugin', 'install', '--grant-all-permissions', '--alias', lab.plugin.alias, lab.plugin.ref);
    assert.match(out, /Installed plugin/);
    const ls = await dockerOk('plugin', 'ls', '--format', '{{.Name}} {{.Enabled}}');
    assert.match(ls, /^vsphere:latest true$/m);
  });

  it('3. docker volume create dockerVol and dockerVolPersistent (-o size=1gb, -o attach-as=persistent)', async () => {
    assert.equal((await dockerOk('volume', 'create', '--driver=vsphere', '--name=dockerVol', '-o', 'size=1gb')).trim(), 'dockerVol');
    assert.equal(
      (
        await dockerOk('volume', 'create', '--driver=vsphere', '--name=dockerVolPersistent', '-o', 'size=1gb', '-o', 'attach-as=persistent')
      ).trim(),
      'dockerVolPersistent',
    );
    const ls = await dockerOk('volume', 'ls', '--format', '{{.Driver}} {{.Name}}');
    for (const v of VOLS) assert.match(ls, new RegExp(`^vsphere:latest ${v}@${lab.vsphere.datastore}$`, 'm'));
  });

  it('4. docker volume inspect shows the vDVS Status fields', async () => {
    const expectFor: Record<string, string> = { dockerVol: 'independent_persistent', dockerVolPersistent: 'persistent' };
    for (const v of VOLS) {
      const [vol] = JSON.parse(await dockerOk('volume', 'inspect', v));
      assert.equal(vol.Name, v);
      assert.equal(vol.Driver, 'vsphere:latest');
      assert.equal(vol.Scope, 'global');
      const s = vol.Status;
      assert.deepEqual(Object.keys(s).sort(), [
        'access',
        'attach-as',
        'capacity',
        'clone-from',
        'created',
        'created by VM',
        'datastore',
        'diskformat',
        'fstype',
        'status',
      ]);
      assert.equal(s['attach-as'], expectFor[v]);
      assert.equal(s.access, 'read-write');
      assert.equal(s.diskformat, 'thin');
      assert.equal(s.fstype, 'ext4');
      assert.equal(s['clone-from'], 'None');
      assert.equal(s.status, 'detached');
      assert.equal(s.datastore, lab.vsphere.datastore);
      assert.equal(s['created by VM'], lab.vsphere.vm);
      assert.equal(s.capacity.size, '1GB');
      assert.match(s.capacity.allocated, /^\d+(KB|MB)$/); // thin: only what mkfs wrote
      assert.match(s.created, /^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}$/); // time.asctime()
    }
  });

  it('5. both VMDKs are under [datastore1] dockvols (SearchDatastoreSubFolders, /folder)', async () => {
    const hostDs = await retrieve('HostSystem', lab.vsphere.hostRef, 'datastore');
    let browser = '';
    for (const ds of xmlText(hostDs, 'ManagedObjectReference')) {
      const name = xmlText(await retrieve('Datastore', ds, 'name'), 'val')[0];
      if (name === lab.vsphere.datastore) browser = xmlText(await retrieve('Datastore', ds, 'browser'), 'val')[0];
    }
    assert.ok(browser, 'no browser for the datastore');
    const task = xmlText(
      await soap(
        `<urn:SearchDatastoreSubFolders_Task><urn:_this type="HostDatastoreBrowser">${browser}</urn:_this>` +
          `<urn:datastorePath>[${lab.vsphere.datastore}] dockvols</urn:datastorePath>` +
          `<urn:searchSpec><urn:matchPattern>*.vmdk</urn:matchPattern></urn:searchSpec></urn:SearchDatastoreSubFolders_Task>`,
      ),
      'returnval',
    )[0];
    let info = '';
    for (let i = 0; i < 50; i++) {
      info = await retrieve('Task', task, 'info');
      if (/<state>(success|error)<\/state>/.test(info)) break;
      await sleep(100);
    }
    assert.match(info, /<state>success<\/state>/);
    const folder = `[${lab.vsphere.datastore}] dockvols/11111111-1111-1111-1111-111111111111`;
    assert.ok(xmlText(info, 'folderPath').includes(folder), info);
    const files = xmlText(info, 'path');
    for (const v of VOLS) {
      assert.ok(files.includes(`${v}.vmdk`), `${v}.vmdk not found by SearchDatastoreSubFolders: ${files.join(', ')}`);
      assert.ok(files.includes(`${v}-flat.vmdk`), `${v}-flat.vmdk not found: ${files.join(', ')}`);
      // the descriptor through the datastore HTTP interface, via the tenant symlink as vDVS names it
      const url = new URL(lab.vsphere.url);
      const get = await run('curl', [
        '-sS',
        '-f',
        '--cacert',
        lab.vsphere.certPath,
        `${url.origin}/folder/dockvols/_DEFAULT/${v}.vmdk?dcPath=${lab.vsphere.datacenter}&dsName=${lab.vsphere.datastore}`,
      ]);
      assert.equal(get.code, 0, get.stderr);
      assert.match(get.stdout, /^# Disk DescriptorFile/);
      assert.match(get.stdout, new RegExp(`^RW 2097152 VMFS "${v}-flat\\.vmdk"$`, 'm'));
      assert.match(get.stdout, /^ddb\.sidecars = "docker-volume-vsphere,.+\.vmfd"$/m);
    }
  });

  it('6. the alpine container writes into dockerVolPersistent and the file is inside the VMDK', async () => {
    const id = (
      await dockerOk(
        'container',
        'run',
        '--rm',
        '-d',
        '--name',
        CONTAINER,
        '--mount',
        'source=dockerVolPersistent,target=/vmdk',
        'alpine',
        'sleep',
        '1d',
      )
    ).trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const marker = `walkthrough ${process.pid} ${Date.now()}`;
    await dockerOk('exec', CONTAINER, 'sh', '-c', `echo '${marker}' > /vmdk/walkthrough.txt && sync`);
    const [vol] = JSON.parse(await dockerOk('volume', 'inspect', 'dockerVolPersistent'));
    assert.equal(vol.Status.status, 'attached');
    assert.equal(vol.Status['attached to VM'], lab.vsphere.vm);
    assert.ok(vol.Status.attachedVMDevice?.Unit, JSON.stringify(vol.Status));

    // vcsim: the Docker host VM has the disk, in the disk mode of attach-as
    const vms = await soap(
      `<urn:FindByInventoryPath><urn:_this type="SearchIndex">ha-searchindex</urn:_this>` +
        `<urn:inventoryPath>${lab.vsphere.datacenter}/vm/${lab.vsphere.vm}</urn:inventoryPath></urn:FindByInventoryPath>`,
    );
    const vmRef = xmlText(vms, 'returnval')[0];
    assert.ok(vmRef, vms);
    const devices = await retrieve('VirtualMachine', vmRef, 'config.hardware.device');
    const disk = devices
      .split('</VirtualDevice>')
      .find((d) => d.includes('dockvols/11111111-1111-1111-1111-111111111111/dockerVolPersistent.vmdk'));
    assert.ok(disk, 'dockerVolPersistent.vmdk is not a disk of the VM in vcsim');
    assert.match(disk, /<diskMode>persistent<\/diskMode>/);

    // the data is in the flat file on the datastore
    const flat = join(lab.vsphere.datastorePath, 'dockvols/_DEFAULT/dockerVolPersistent-flat.vmdk');
    const cat = await run('debugfs', ['-R', 'cat /walkthrough.txt', flat]);
    assert.equal(cat.code, 0, cat.stderr);
    assert.equal(cat.stdout.trim(), marker);

    // stopping the container unmounts and detaches
    await dockerOk('rm', '-f', CONTAINER);
    const [after] = JSON.parse(await dockerOk('volume', 'inspect', 'dockerVolPersistent'));
    assert.equal(after.Status.status, 'detached');
    assert.equal(after.Status['attached to VM'], undefined);
    const devicesAfter = await retrieve('VirtualMachine', vmRef, 'config.hardware.device');
    assert.ok(!devicesAfter.includes('dockerVolPersistent.vmdk'), 'disk still attached in vcsim');
  });

  it('7. bad options and bad names: the vDVS error texts', async () => {
    const validOpts =
      "[('size', '100mb'), ('vsan-policy-name', '[VSAN default]'), ('diskformat', 'thin'), ('attach-as', 'independent_persistent'), " +
      "('access', 'read-write'), ('fstype', 'ext4'), ('clone-from', 'None')]";
    const long = 'a'.repeat(101);
    const table: Array<{ name: string; opts: string[]; text: string }> = [
      { name: 'badOpt', opts: ['-o', 'color=blue'], text: `Invalid options: ['color'] \nValid options and defaults: ${validOpts}` },
      {
        name: 'badOpt',
        opts: ['-o', 'size=10'],
        text: 'Invalid format for size. \nValid sizes must be of form X[mMgGtT]b where X is an integer. Default = 100mb',
      },
      {
        name: 'badOpt',
        opts: ['-o', 'size=1.5gb'],
        text: 'Invalid format for size. \nValid sizes must be of form X[mMgGtT]b where X is an integer. Default = 100mb',
      },
      {
        name: 'badOpt',
        opts: ['-o', 'diskformat=sparse'],
        text: "Disk Allocation Format 'sparse' is not supported. Valid options are: ['zeroedthick', 'thin', 'eagerzeroedthick'].",
      },
      {
        name: 'badOpt',
        opts: ['-o', 'attach-as=shared'],
        text: "Attach type 'shared' is not supported. Valid options are: ['independent_persistent', 'persistent']",
      },
      {
        name: 'badOpt',
        opts: ['-o', 'access=rw'],
        text: "Access type 'rw' is not supported. Valid options are: ['read-write', 'read-only']",
      },
      { name: 'badOpt', opts: ['-o', 'vsan-policy-name=gold'], text: 'Cannot use a VSAN policy on a non-VSAN datastore' },
      {
        name: 'badOpt',
        opts: ['-o', 'fstype=btrfs'],
        text: 'Not found mkfs for btrfs\nSupported filesystems found: ext2, ext3, ext4, xfs',
      },
      { name: 'badOpt', opts: ['-o', 'clone-from=dockerVol', '-o', 'size=1gb'], text: 'Cannot define the size for a clone' },
      { name: 'badOpt', opts: ['-o', 'clone-from=dockerVol', '-o', 'fstype=ext4'], text: 'Cannot define the filesystem type for a clone' },
      { name: 'badOpt', opts: ['-o', 'clone-from=noSuchVolume'], text: 'Could not find volume for cloning noSuchVolume' },
      { name: 'snap-000001', opts: [], text: `"Volume names ending with '-NNNNNN' (where N is a digit) are not supported"` },
      { name: long, opts: [], text: "'Volume name is too long (max len is 100)'" },
      { name: `v@${'d'.repeat(101)}`, opts: [], text: "'Datastore name is too long (max len is 100)'" },
      {
        name: 'v@noSuchDatastore',
        opts: [],
        // no Config DB: the default tenant's default datastore is _VM_DS (vmdk_ops.py executeRequest)
        text: `Invalid datastore 'noSuchDatastore'.\nKnown datastores: ${lab.vsphere.datastore}.\nDefault datastore: _VM_DS`,
      },
      // vmdk_ops.py parse_vol_name: one character named
      { name: 'a/b', opts: [], text: "'Volume name contains illegal characters: /'" },
    ];
    for (const row of table) {
      const r = await docker('volume', 'create', '--driver=vsphere', `--name=${row.name}`, ...row.opts);
      assert.notEqual(r.code, 0, `${row.name} ${row.opts.join(' ')} was accepted`);
      assert.equal(
        r.stderr.trim(),
        `Error response from daemon: create ${row.name}: VolumeDriver.Create: ${row.text}`,
        `${row.name} ${row.opts.join(' ')}`,
      );
    }
    const ls = await dockerOk('volume', 'ls', '-q');
    assert.ok(!/badOpt|snap-000001/.test(ls), ls);
  });
});
