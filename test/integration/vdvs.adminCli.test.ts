/**
 * The admin side of the lab's stand-in vmdkops_admin.py (esx_service/cli/vmdkops_admin.py: config_*,
 * tenant_*, set_vol_opts; texts of esx_service/utils/error_code.py) over the extension's SSH session:
 * the Config DB, vmgroups with their VMs and datastore access, and volume set. The test starts and
 * ends without a Config DB (config rm --local --confirm). Names start with t17adm-.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { UserError } from '../../src/core/errors';
import { runVmdkopsAdmin } from '../../src/core/esx/vmdkopsAdmin';
import { SshSession } from '../../src/core/ssh/shellSession';
import { parsePolicyLs, POLICY_LS_ARGS } from '../../src/core/vdvs/adminPolicies';
import { parseVolumeLs, VOLUME_LS_ARGS } from '../../src/core/vdvs/adminVolumes';
import { ensureVolumeLab, labDocker, VolumeLab } from '../fixtures/volumeLab';

const P = `t17adm-${process.pid}`;
const TIMEOUT = 60_000;

describe('vmdkops_admin.py admin commands in the lab ESXi shell', () => {
  let lab: VolumeLab;
  let docker: (...args: string[]) => Promise<string>;
  let shell: SshSession;
  const group = `${P}-g`;
  const vol = `${P}-v`;

  const admin = (...args: string[]) => runVmdkopsAdmin(shell, args, { timeoutMs: TIMEOUT });
  /** The text vDVS prints for a failure (err_out: "ERROR:…" on stdout, exit 2). */
  const fails = async (args: string[], text: string) =>
    assert.rejects(
      admin(...args),
      (e: unknown) => e instanceof UserError && e.code === 'VMDKOPS_ADMIN' && e.message.endsWith(`ERROR:${text}`),
    );
  const dropDb = () => admin('config', 'rm', '--local', '--confirm').catch(() => undefined);

  before(async () => {
    lab = await ensureVolumeLab();
    docker = labDocker(lab);
    const { host, port, user, password, hostKeyFingerprint } = lab.ssh;
    shell = await SshSession.open({ host, port, user, auth: 'password', secret: password, hostKeyFingerprint }, { timeoutMs: TIMEOUT });
    await dropDb();
    await docker('volume', 'create', '--driver=vsphere', `--name=${vol}`, '-o', 'size=10mb');
  });

  after(async () => {
    await dropDb();
    await docker('volume', 'rm', '-f', vol).catch(() => undefined);
    shell?.close();
  });

  it('config: vmgroups need a Config DB; init --local makes one with _DEFAULT; status says which', async () => {
    await fails(['vmgroup', 'ls'], "Configuration not found. Please init configuration with 'esxcli storage guestvol config init'.");
    assert.match(await admin('config', 'status'), /^DB_Mode: NotConfigured \(no local DB, no symlink to shared DB\)\nDB_LocalPath: N\/A\n/);
    assert.equal(
      await admin('config', 'init', '--local'),
      'Warning: this feature is EXPERIMENTAL\nCreating new DB at /etc/vmware/vmdkops/auth-db\n' +
        'Warning: Local configuration will not survive ESXi reboot. See KB2043564 for details\n',
    );
    await fails(['config', 'init', '--local'], "Config DB  is already initialized. Use 'rm --local' or 'rm --unlink' to reset");
    assert.match(
      await admin('config', 'status'),
      /^DB_Mode: SingleNode \(local DB exists\)\nDB_LocalPath: \/etc\/vmware\/vmdkops\/auth-db\n/,
    );
    const groups = await admin('--output-format', 'xml', 'vmgroup', 'ls');
    assert.match(groups, /<field name="Name">\s*<string>_DEFAULT<\/string>/);
    assert.match(groups, /<field name="Default_datastore">\s*<string>_VM_DS<\/string>/);
  });

  it('vmgroup create/update, vm add/ls/replace/rm, rm: state and texts', async () => {
    assert.equal(
      await admin('vmgroup', 'create', '--name', group, '--default-datastore', lab.vsphere.datastore, '--description', 'test group'),
      `vmgroup '${group}' is created. Do not forget to run 'vmgroup vm add' to add vm to vmgroup.\n`,
    );
    await fails(['vmgroup', 'create', '--name', group, '--default-datastore', lab.vsphere.datastore], `Vmgroup ${group} already exists`);
    await fails(['vmgroup', 'create', '--name', `${P}-x`, '--default-datastore', 'nosuch'], 'Datastore nosuch does not exist');
    assert.equal(await admin('vmgroup', 'update', '--name', group, '--description', 'changed'), 'vmgroup modify succeeded\n');
    await fails(['vmgroup', 'vm', 'add', '--name', group, '--vm-list', 'no-such-vm'], 'Cannot find vm no-such-vm');
    assert.equal(await admin('vmgroup', 'vm', 'add', '--name', group, '--vm-list', lab.vsphere.vm), 'vmgroup vm add succeeded\n');
    await fails(
      ['vmgroup', 'vm', 'add', '--name', group, '--vm-list', lab.vsphere.vm],
      `VM '${lab.vsphere.vm}' has already been associated with tenant '${group}', cannot add it again`,
    );
    assert.match(
      await admin('vmgroup', 'vm', 'ls', '--name', group),
      new RegExp(`^Uuid\\s+Name\\s*\\n-+\\s+-+\\s*\\n[0-9a-f-]{36}\\s+${lab.vsphere.vm}\\s*\\n`),
    );
    await fails(['vmgroup', 'vm', 'ls', '--name', '_DEFAULT'], '_DEFAULT tenant contains all VMs which were not added to other tenants');
    await fails(
      ['vmgroup', 'rm', '--name', group],
      `Cannot delete non-empty vmgroup ${group}. Remove VMs from the vmgroup before deleting it.`,
    );
    assert.equal(await admin('vmgroup', 'vm', 'replace', '--name', group, '--vm-list', lab.vsphere.vm), 'vmgroup vm replace succeeded\n');
    assert.equal(await admin('vmgroup', 'vm', 'rm', '--name', group, '--vm-list', lab.vsphere.vm), 'vmgroup vm rm succeeded\n');
    await fails(
      ['vmgroup', 'vm', 'rm', '--name', group, '--vm-list', lab.vsphere.vm],
      `VM '${lab.vsphere.vm}' has not been associated with tenant '${group}', cannot remove it`,
    );
    const ls = await admin('--output-format', 'xml', 'vmgroup', 'ls');
    assert.match(ls, new RegExp(`<string>${group}</string>\\s*</field>\\s*<field name="Description">\\s*<string>changed</string>`));
  });

  it('vmgroup access add/set/rm/ls: allow-create, volume-maxsize, volume-totalsize as vDVS stores and prints them', async () => {
    const ds = lab.vsphere.datastore;
    await fails(['vmgroup', 'access', 'add', '--name', group, '--datastore', ds], `Access privilege for (${group}, ${ds}) already exists`);
    assert.equal(
      await admin('vmgroup', 'access', 'set', '--name', group, '--datastore', ds, '--volume-maxsize', '1GB', '--volume-totalsize', '10GB'),
      'vmgroup access set succeeded\n',
    );
    await fails(
      ['vmgroup', 'access', 'set', '--name', group, '--datastore', ds, '--volume-maxsize', '20GB'],
      'Volume max size 20480MB exceeds the total size 10240MB',
    );
    await fails(
      ['vmgroup', 'access', 'set', '--name', group, '--datastore', ds, '--allow-create', 'maybe'],
      'Invalid value maybe for allow-create option',
    );
    assert.equal(
      await admin('vmgroup', 'access', 'set', '--name', group, '--datastore', ds, '--allow-create', 'False'),
      'vmgroup access set succeeded\n',
    );
    assert.equal(
      await admin('vmgroup', 'access', 'add', '--name', group, '--datastore', '_ALL_DS', '--allow-create'),
      'vmgroup access add succeeded\n',
    );
    // tenant_access_ls: allow_create as Python's bool, sizes through human_readable, 0 as Unset
    const rows = (await admin('vmgroup', 'access', 'ls', '--name', group)).split('\n').map((l) => l.trim().split(/\s+/));
    assert.deepEqual(rows[0], ['Datastore', 'Allow_create', 'Max_volume_size', 'Total_size']);
    assert.deepEqual(rows.slice(2, 4), [
      [ds, 'False', '1.00GB', '10.00GB'],
      ['_ALL_DS', 'True', 'Unset', 'Unset'],
    ]);
    await fails(
      ['vmgroup', 'access', 'rm', '--name', group, '--datastore', ds],
      "Removing of access privilege to 'default_datastore' is not supported",
    );
    assert.equal(await admin('vmgroup', 'access', 'rm', '--name', group, '--datastore', '_ALL_DS'), 'vmgroup access rm succeeded\n');
    assert.equal(await admin('vmgroup', 'rm', '--name', group), 'vmgroup rm succeeded\n');
    await fails(['vmgroup', 'access', 'ls', '--name', group], `Vmgroup ${group} does not exist`);
  });

  it('policy: the lab has no vSAN datastore, so the list is empty and the rest fails as vsan_policy.py does', async () => {
    assert.deepEqual(parsePolicyLs(await admin(...POLICY_LS_ARGS)), []);
    assert.match(await admin('policy', 'ls'), /^Policy Name\s+Policy Content\s+Active\s*\n-+\s+-+\s+-+\s*\n\n$/);
    for (const cmd of [
      ['policy', 'create', '--name', `${P}-p`, '--content', '(("proportionalCapacity" i50))'],
      ['policy', 'update', '--name', `${P}-p`, '--content', '(("proportionalCapacity" i60))'],
      ['policy', 'rm', '--name', `${P}-p`],
    ])
      await fails(cmd, 'Error: VSAN datastore does not exist');
  });

  it("volume set: access and attach-as only, in the volume's sidecar; volume ls and inspect show it", async () => {
    const full = `${vol}@${lab.vsphere.datastore.toUpperCase()}`;
    assert.equal(
      await admin('volume', 'set', '--volume', full, '--vmgroup', '_DEFAULT', '--options', 'access=read-only, attach-as=persistent'),
      `Successfully updated settings for ${full}\n`,
    );
    const row = parseVolumeLs(await admin(...VOLUME_LS_ARGS)).find((r) => r.volume === vol);
    assert.deepEqual([row?.access, row?.attachAs], ['read-only', 'persistent']);
    const status = (JSON.parse(await docker('volume', 'inspect', vol)) as Array<{ Status: Record<string, string> }>)[0].Status;
    assert.deepEqual([status.access, status['attach-as']], ['read-only', 'persistent']);
    await fails(
      ['volume', 'set', '--volume', `${vol}@${lab.vsphere.datastore}`, '--vmgroup', '_DEFAULT', '--options', 'size=1gb'],
      `Failed to update size=1gb for ${vol}@${lab.vsphere.datastore} - Invalid options: ['size'] \nOptions that can be edited: ['access', 'attach-as'].`,
    );
    await fails(
      ['volume', 'set', '--volume', `${vol}@${lab.vsphere.datastore}`, '--vmgroup', '_DEFAULT', '--options', 'access=rw'],
      `Failed to update access=rw for ${vol}@${lab.vsphere.datastore}.`,
    );
    await fails(
      ['volume', 'set', '--volume', `${P}-none@${lab.vsphere.datastore}`, '--vmgroup', '_DEFAULT', '--options', 'access=read-only'],
      `Failed to update access=read-only for ${P}-none@${lab.vsphere.datastore}.`,
    );
  });
});
