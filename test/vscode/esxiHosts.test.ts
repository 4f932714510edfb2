import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { EsxiHostConfig } from '../../src/core/config';
import type { TestApi } from '../../src/ui/testApi';
import { activateTestApi, labelText } from './extensionApi';
import { ensureVolumeLab, labDocker, retryLabTransient, VolumeLab } from '../fixtures/volumeLab';

/**
 * "Add ESXi Host or vCenter…" in a real VS Code against the lab's vcsim (ESX model, TLS on), then the
 * ESXi Hosts view walked through the extension's own TreeDataProvider, level by level, down to the
 * VMDKs of two volumes made through the lab's docker (one attached to docker-host-01 by a container).
 */
const P = `t4-esxi${process.pid}`;

type Node = object;

describe('ESXi Hosts: add the lab host and expand the tree', () => {
  const name = `${P}-host`;
  const attached = `${P}-attached`;
  const detached = `${P}-detached`;
  const container = `${P}-app`;
  let lab: VolumeLab;
  let docker: (...args: string[]) => Promise<string>;
  let api: TestApi;
  let host: EsxiHostConfig | undefined;
  const config = () => vscode.workspace.getConfiguration('vdvs');
  const configured = () => config().get<EsxiHostConfig[]>('esxiHosts', []);
  const tree = () => api.esxiHostsTree as vscode.TreeDataProvider<Node>;
  const item = (n: Node) => tree().getTreeItem(n) as vscode.TreeItem;
  const label = (n: Node) => labelText(item(n));
  const children = async (n?: Node) => (await tree().getChildren(n)) ?? [];
  /** The child labelled `text`; the assertion lists what was there instead. */
  const child = async (parent: Node | undefined, text: string): Promise<Node> => {
    const kids = await children(parent);
    const found = kids.find((k) => label(k) === text);
    assert.ok(
      found,
      `no "${text}" under ${parent ? label(parent) : 'the root'}: ${kids.map((k) => `${label(k)} [${item(k).description ?? ''}]`).join(', ')}`,
    );
    return found;
  };

  before(async function () {
    this.timeout(240_000);
    api = await activateTestApi();
    lab = await ensureVolumeLab();
    docker = labDocker(lab);
    await retryLabTransient(() =>
      docker('volume', 'create', '--driver=vsphere', `--name=${attached}`, '-o', 'size=1gb', '-o', 'attach-as=persistent'),
    );
    await retryLabTransient(() =>
      docker('volume', 'create', '--driver=vsphere', `--name=${detached}`, '-o', 'size=2gb', '-o', 'diskformat=zeroedthick'),
    );
    await retryLabTransient(() =>
      docker('run', '-d', '--name', container, '--network', 'none', '--mount', `source=${attached},target=/vmdk`, 'alpine', 'sleep', '1d'),
    );
  });

  after(async function () {
    this.timeout(180_000);
    if (host) await api.removeHost('esxi', host.id);
    await docker?.('rm', '-f', container).catch(() => undefined);
    for (const v of [attached, detached]) {
      await retryLabTransient(() => docker(`volume`, 'rm', `${v}@${lab.vsphere.datastore}`)).catch(() =>
        docker('volume', 'rm', v).catch(() => undefined),
      );
    }
  });

  it('refuses a certificate whose thumbprint is not the one given, and saves nothing', async function () {
    this.timeout(60_000);
    const wrong = lab.vsphere.thumbprint.replace(/^[0-9A-F]{2}/, (b) => (b === '00' ? '11' : '00'));
    const before = configured().length;
    const result = await vscode.commands.executeCommand('vdvs.esxi.addHost', {
      url: lab.vsphere.url,
      user: lab.vsphere.user,
      password: lab.vsphere.password,
      name: `${P}-wrong`,
      trustThumbprint: wrong,
    });
    assert.equal(result, undefined, 'the command ends with CERT_REFUSED');
    assert.equal(configured().length, before);
    assert.ok(!configured().some((h) => h.name === `${P}-wrong`));
  });

  it('adds the host with the presented thumbprint pinned, the password in SecretStorage and not in settings', async function () {
    this.timeout(60_000);
    host = await vscode.commands.executeCommand<EsxiHostConfig | undefined>('vdvs.esxi.addHost', {
      url: lab.vsphere.url,
      user: lab.vsphere.user,
      password: lab.vsphere.password,
      name,
      trustThumbprint: lab.vsphere.thumbprint.toLowerCase(),
    });
    assert.ok(host, 'the command returned no host (see the log for its error)');
    const saved = configured().find((h) => h.id === host!.id);
    assert.deepEqual(saved && { name: saved.name, url: saved.url, user: saved.user, thumbprint: saved.thumbprint }, {
      name,
      url: lab.vsphere.url,
      user: lab.vsphere.user,
      thumbprint: lab.vsphere.thumbprint,
    });
    assert.equal(await api.getSecret('esxi', host.id, 'password'), lab.vsphere.password);
    const settingsText = JSON.stringify(config().inspect('esxiHosts'));
    assert.ok(!settingsText.includes(lab.vsphere.password), 'the password is in settings');
  });

  it('shows the host with its user and address, then Datastores, Virtual machines and the VIB', async function () {
    this.timeout(60_000);
    assert.ok(host, 'no host added');
    const hostNode = await child(undefined, name);
    const hostItem = item(hostNode);
    assert.equal(hostItem.contextValue, 'vdvs.esxi.host');
    assert.equal(hostItem.description, `${lab.vsphere.user} @ ${new URL(lab.vsphere.url).host}`);
    assert.equal(hostItem.collapsibleState, vscode.TreeItemCollapsibleState.Collapsed);
    assert.deepEqual((await children(hostNode)).map(label), ['Datastores', 'Virtual machines', 'vDVS VIB']);
  });

  it('lists datastore1 → dockvols → _DEFAULT → the VMDKs with size, format and attachment', async function () {
    this.timeout(90_000);
    const hostNode = await child(undefined, name);
    const ds = await child(await child(hostNode, 'Datastores'), lab.vsphere.datastore);
    const dsItem = item(ds);
    assert.equal(dsItem.contextValue, 'vdvs.esxi.datastore');
    // the lab's vcsim counts every disk it ever attached against free space, so it can report less than 0
    assert.match(String(dsItem.description), /^\S+ · ([\d.]+ [KMGT]?B free of [\d.]+ [KMGT]?B|[\d.]+ [KMGT]?B, free space not reported)$/);
    const dockvols = await child(ds, 'dockvols');
    const tenant = await child(dockvols, '_DEFAULT');
    const tenantItem = item(tenant);
    assert.equal(tenantItem.contextValue, 'vdvs.esxi.tenant');
    assert.match(String(tenantItem.description), /^11111111-1111-1111-1111-111111111111 · \d+ VMDKs?$/);
    assert.equal(tenantItem.tooltip, `[${lab.vsphere.datastore}] dockvols/11111111-1111-1111-1111-111111111111`);

    const vmdks = await children(tenant);
    const labels = vmdks.map(label);
    assert.equal(labels.filter((l) => l.endsWith('-flat')).length, 0, '-flat extents are not listed');
    const att = item(await child(tenant, attached));
    assert.equal(att.contextValue, 'vdvs.esxi.vmdk');
    // provisioned size and format come from the VM's disk while attached (vcsim's search reports no disk details)
    assert.match(
      String(att.description),
      /^1\.0 GB \([\d.]+ [KMG]?B on disk\) · (thin|thick) · attached to docker-host-01 \(persistent\)$/,
    );
    assert.match((att.tooltip as vscode.MarkdownString).value, /Attached to \*\*docker-host-01\*\* as .+, persistent/);
    const det = item(await child(tenant, detached));
    assert.match(String(det.description), /^(2\.0 GB \()?[\d.]+ [KMG]?B on disk\)? · (.+ · )?detached$/);
    assert.match(
      (det.tooltip as vscode.MarkdownString).value,
      new RegExp(`\\[${lab.vsphere.datastore}\\] dockvols/11111111-1111-1111-1111-111111111111/${detached}\\.vmdk`),
    );
  });

  it('lists Virtual machines → docker-host-01 → its disks, the vDVS one marked', async function () {
    this.timeout(60_000);
    const hostNode = await child(undefined, name);
    const vm = await child(await child(hostNode, 'Virtual machines'), lab.vsphere.vm);
    const vmItem = item(vm);
    assert.equal(vmItem.contextValue, 'vdvs.esxi.vm');
    assert.equal(vmItem.description, 'poweredOn · docker-host-01 · 127.0.0.1');
    const disks = (await children(vm)).map(item);
    const boot = disks.find((d) => /docker-host-01\/docker-host-01\.vmdk/.test((d.tooltip as vscode.MarkdownString).value));
    assert.ok(boot, 'the boot disk is listed');
    assert.equal(boot.contextValue, 'vdvs.esxi.disk');
    assert.match(String(boot.description), /^16 GB · persistent$/);
    const vdvs = disks.find((d) => (d.tooltip as vscode.MarkdownString).value.includes(`/${attached}.vmdk`));
    assert.ok(vdvs, `the disk of ${attached} is listed: ${disks.map(labelText).join(', ')}`);
    assert.equal(vdvs.contextValue, 'vdvs.esxi.disk.vdvs');
    assert.equal(vdvs.description, `1.0 GB · persistent · vDVS volume ${attached}`);
  });

  it('Remove Host deletes the entry and every secret of the host: password, SSH password and key passphrase', async function () {
    this.timeout(60_000);
    assert.ok(host, 'no host added');
    const id = host.id;
    const ssh = lab.ssh;
    const updated = await vscode.commands.executeCommand<EsxiHostConfig | undefined>('vdvs.esxi.configureSsh', {
      hostId: id,
      host: ssh.host,
      port: ssh.port,
      user: ssh.user,
      auth: 'password',
      secret: ssh.password,
      trustFingerprint: ssh.hostKeyFingerprint,
    });
    assert.ok(updated?.ssh, 'SSH was not set up (see the log)');
    assert.equal(await api.getSecret('esxi', id, 'sshPassword'), ssh.password);
    await vscode.commands.executeCommand('vdvs.esxi.removeHost', { hostId: id, confirmed: true });
    assert.ok(!configured().some((h) => h.id === id), 'the host is still in settings');
    host = undefined;
    const left = [];
    for (const name of ['password', 'sshPassword', 'sshKeyPassphrase'])
      if ((await api.getSecret('esxi', id, name)) !== undefined) left.push(name);
    assert.deepEqual(left, [], 'secrets left in SecretStorage after the host was removed');
  });
});
