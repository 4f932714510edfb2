import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { EsxiHostConfig } from '../../src/core/config';
import type { TestApi } from '../../src/ui/testApi';
import { activateTestApi, labelText } from './extensionApi';
import { ensureVolumeLab, labDocker, VolumeLab } from '../fixtures/volumeLab';

/**
 * vDVS's admin CLI (vmdkops_admin.py) from the editor, over the ESXi host's SSH shell: "Set Access /
 * Attach-as…" on a volume answered through the Prompter seam (vmdkops_admin.py volume set), and the
 * host's vmgroups node (vmgroup ls) without a Config DB.
 */
type PickStep = { id: string; items: Array<{ label: string; value: unknown; picked?: boolean }> };
type Tree = vscode.TreeDataProvider<object>;

describe('vDVS admin CLI over SSH, the lab ESXi host configured', () => {
  let lab: VolumeLab;
  let docker: (...args: string[]) => Promise<string>;
  let api: TestApi;
  let esxiHost: EsxiHostConfig | undefined;
  const name = `t17-set${process.pid}`;

  before(async function () {
    this.timeout(180_000);
    api = await activateTestApi();
    lab = await ensureVolumeLab();
    docker = labDocker(lab);
    await vscode.workspace
      .getConfiguration('vdvs')
      .update(
        'dockerHosts',
        [{ id: 'admlab', name: 'lab-docker', endpoint: lab.docker.host, vmName: lab.vsphere.vm }],
        vscode.ConfigurationTarget.Global,
      );
    esxiHost = await vscode.commands.executeCommand<EsxiHostConfig | undefined>('vdvs.esxi.addHost', {
      url: lab.vsphere.url,
      user: lab.vsphere.user,
      password: lab.vsphere.password,
      name: `adm-esxi${process.pid}`,
      trustThumbprint: lab.vsphere.thumbprint,
    });
    assert.ok(esxiHost, 'the lab ESXi host could not be added (see the log)');
    const ssh = lab.ssh;
    esxiHost = await vscode.commands.executeCommand<EsxiHostConfig>('vdvs.esxi.configureSsh', {
      hostId: esxiHost.id,
      host: ssh.host,
      port: ssh.port,
      user: ssh.user,
      auth: 'password',
      secret: ssh.password,
      trustFingerprint: ssh.hostKeyFingerprint,
    });
    assert.ok(esxiHost?.ssh, 'SSH was not configured');
    await docker('volume', 'create', '--driver=vsphere', `--name=${name}`, '-o', 'size=10mb');
  });

  after(async function () {
    this.timeout(60_000);
    await docker('volume', 'rm', `${name}@${lab.vsphere.datastore}`).catch(() => undefined);
    if (esxiHost) await api.removeHost('esxi', esxiHost.id);
    await vscode.workspace.getConfiguration('vdvs').update('dockerHosts', undefined, vscode.ConfigurationTarget.Global);
  });

  it('Set Access / Attach-as… changes the volume with vmdkops_admin.py volume set', async function () {
    this.timeout(120_000);
    const full = `${name}@${lab.vsphere.datastore}`;
    const offered: Record<string, string[]> = {};
    const notes: string[] = [];
    const prompter = {
      async pick(s: PickStep) {
        offered[s.id] = s.items.map((i) => `${i.label}${i.picked ? ' *' : ''}`);
        if (s.id === 'volume') return s.items.find((i) => i.label === full)?.value;
        if (s.id === 'access') return 'read-only';
        if (s.id === 'attachAs') return 'persistent';
        return undefined;
      },
      async notify(_level: string, message: string) {
        notes.push(message);
        return undefined;
      },
    };
    // the view's data from before the volume was created does not list it yet
    await vscode.commands.executeCommand('vdvs.volumes.refresh');
    const done = await vscode.commands.executeCommand<boolean>('vdvs.volume.setOptions', undefined, { prompter });
    assert.equal(done, true, JSON.stringify({ offered, notes }));
    // the current values are the ones picked at first
    assert.deepEqual(offered.access, ['read-write *', 'read-only']);
    assert.deepEqual(offered.attachAs, ['independent_persistent *', 'persistent']);
    assert.match(notes.join('\n'), new RegExp(`${full}: access read-only, attach-as persistent\\. vDVS applies them the next time`));
    const status = (JSON.parse(await docker('volume', 'inspect', full)) as Array<{ Status: Record<string, string> }>)[0].Status;
    assert.deepEqual([status.access, status['attach-as']], ['read-only', 'persistent']);
  });

  it("shows the host's vmgroups node: without a Config DB every VM is in _DEFAULT", async function () {
    this.timeout(60_000);
    const tree = api.esxiHostsTree as Tree;
    const hosts = (await tree.getChildren()) ?? [];
    const host = hosts.find((n) => labelText(tree.getTreeItem(n) as vscode.TreeItem) === esxiHost?.name);
    assert.ok(host, 'the ESXi host is not in the view');
    const children = (await tree.getChildren(host)) ?? [];
    const vmgroups = children.find((n) => labelText(tree.getTreeItem(n) as vscode.TreeItem) === 'vmgroups');
    assert.ok(vmgroups, `no vmgroups node: ${children.map((n) => labelText(tree.getTreeItem(n) as vscode.TreeItem)).join(', ')}`);
    const rows = ((await tree.getChildren(vmgroups)) ?? []).map((n) => labelText(tree.getTreeItem(n) as vscode.TreeItem));
    assert.deepEqual(rows, ['no Config DB: every VM is in _DEFAULT']);
  });
});
