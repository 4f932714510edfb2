import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { DockerHostConfig, EsxiHostConfig } from '../../src/core/config';
import type { TestApi } from '../../src/ui/testApi';
import { activateTestApi } from './extensionApi';

/**
 * "Connect the Local Lab" (vdvs.lab.connect) inside a real VS Code next to the running lab: the hosts with
 * their pins, the secrets in SecretStorage only, the plugin reference, the backup task; run twice, it
 * replaces its entries instead of adding twins.
 */
describe('Connect the Local Lab', () => {
  const lab = JSON.parse(readFileSync(join(process.env.VDVS_LAB_DIR ?? '/tmp/vdvs-lab', 'lab.json'), 'utf8'));
  const config = () => vscode.workspace.getConfiguration('vdvs');
  const told: string[] = [];
  const prompter = {
    pick: async () => undefined,
    input: async () => undefined,
    confirm: async () => undefined,
    notify: async (_level: string, message: string) => void told.push(message),
  };
  let api: TestApi;

  before(async () => {
    api = await activateTestApi();
  });
  after(async () => {
    for (const id of ['lab-esxi', 'lab-vcenter']) await api.removeHost('esxi', id);
    await api.removeHost('docker', 'lab-docker');
    await config().update('plugin.reference', undefined, vscode.ConfigurationTarget.Global);
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (folder)
      await vscode.workspace.getConfiguration('tasks', folder.uri).update('tasks', undefined, vscode.ConfigurationTarget.WorkspaceFolder);
  });

  it('adds the lab ESXi host, vCenter and Docker host pinned, the passwords in SecretStorage, and a backup task', async function () {
    this.timeout(60_000);
    const added = await vscode.commands.executeCommand<string[]>('vdvs.lab.connect', { prompter });
    await vscode.commands.executeCommand('vdvs.lab.connect', { prompter });
    assert.ok(added?.includes('lab ESXi') && added.includes('lab vCenter') && added.includes('lab Docker'), JSON.stringify(added));
    assert.match(told[0] ?? '', /Connected the local lab/);

    const esxi = config()
      .get<EsxiHostConfig[]>('esxiHosts', [])
      .filter((h) => h.id.startsWith('lab-'));
    assert.deepEqual(
      esxi.map((h) => [h.id, h.url, h.thumbprint]),
      [
        ['lab-esxi', lab.vsphere.url, lab.vsphere.thumbprint],
        ['lab-vcenter', lab.vcenter.url, lab.vcenter.thumbprint],
      ],
      'one entry each, certificates pinned',
    );
    assert.deepEqual(esxi[0].ssh, {
      host: lab.ssh.host,
      port: lab.ssh.port,
      user: lab.ssh.user,
      auth: 'key',
      keyPath: lab.ssh.keyPath,
      hostKeyFingerprint: lab.ssh.hostKeyFingerprint,
    });
    const docker = config()
      .get<DockerHostConfig[]>('dockerHosts', [])
      .filter((h) => h.id === 'lab-docker');
    assert.deepEqual(
      docker.map((h) => h.endpoint),
      [lab.docker.host],
    );
    assert.equal(config().get('plugin.reference'), lab.plugin.ref);

    assert.equal(await api.getSecret('esxi', 'lab-esxi', 'password'), lab.vsphere.password);
    assert.equal(await api.getSecret('esxi', 'lab-vcenter', 'password'), lab.vcenter.password);
    const settings = JSON.stringify([config().inspect('esxiHosts'), config().inspect('dockerHosts')]);
    for (const secret of [lab.vsphere.password, lab.vcenter.password])
      assert.ok(!settings.includes(secret), 'a password is in the settings');

    const tasks = await vscode.tasks.fetchTasks({ type: 'vdvs-backup' });
    const task = tasks.filter((t) => t.name === 'Back up the lab volumes');
    assert.equal(task.length, 1, `the backup task once: ${tasks.map((t) => t.name).join(', ')}`);
    assert.equal(task[0].definition.dockerHost, 'lab Docker');
  });
});
