import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { EsxiHostConfig } from '../../src/core/config';
import type { InstallOutcome, VibStatus } from '../../src/core/esx/vibFlow';
import { vibStatusNodes } from '../../src/ui/trees/esxi/vibNode';
import { EsxiMessageNode } from '../../src/ui/trees/esxi/esxiNode';

/**
 * Runs "Configure SSH…", "Install vDVS VIB…" and the status command in a real VS Code against the
 * lab's ESXi shell, answering the pickers and confirmations through the commands' input argument.
 */
interface Lab {
  vsphere: { url: string; user: string; thumbprint: string };
  ssh: { host: string; port: number; user: string; password: string; hostKeyFingerprint: string };
  vib: { path: string; version: string };
}

function readLab(): Lab {
  const file = join(process.env.VDVS_LAB_DIR ?? '/tmp/vdvs-lab', 'lab.json');
  assert.ok(existsSync(file), `${file} is missing: the lab is not running`);
  return JSON.parse(readFileSync(file, 'utf8'));
}

describe('vDVS VIB commands', () => {
  const hostId = `vibtest${process.pid}`;
  let lab: Lab;
  let initially: string | undefined;
  const config = () => vscode.workspace.getConfiguration('vdvs');
  const savedHost = () =>
    config()
      .get<EsxiHostConfig[]>('esxiHosts', [])
      .find((h) => h.id === hostId);
  const status = () => vscode.commands.executeCommand<VibStatus>('vdvs.vib.showStatus', { hostId });

  before(async () => {
    lab = readLab();
    const others = config().get<EsxiHostConfig[]>('esxiHosts', []);
    await config().update(
      'esxiHosts',
      [...others, { id: hostId, name: 'vib-lab', url: lab.vsphere.url, user: lab.vsphere.user, thumbprint: lab.vsphere.thumbprint }],
      vscode.ConfigurationTarget.Global,
    );
  });

  after(async function () {
    this.timeout(120_000);
    // The lab is shared: put the VIB back as it was.
    if (savedHost()?.ssh) {
      const now = (await status())?.installed?.version;
      if (now && now !== initially)
        await vscode.commands.executeCommand('vdvs.vib.remove', { hostId, confirmed: true, restartHostd: false });
      if (initially && now !== initially)
        await vscode.commands.executeCommand('vdvs.vib.install', { hostId, vibPath: lab.vib.path, confirmed: true, restartHostd: true });
    }
    await config().update(
      'esxiHosts',
      config()
        .get<EsxiHostConfig[]>('esxiHosts', [])
        .filter((h) => h.id !== hostId),
      vscode.ConfigurationTarget.Global,
    );
  });

  it('refuses to pin a host key that differs from the expected one', async function () {
    this.timeout(60_000);
    const ssh = lab.ssh;
    const result = await vscode.commands.executeCommand('vdvs.esxi.configureSsh', {
      hostId,
      host: ssh.host,
      port: ssh.port,
      user: ssh.user,
      auth: 'password',
      secret: ssh.password,
      trustFingerprint: 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    });
    assert.equal(result, undefined);
    assert.equal(savedHost()?.ssh, undefined, 'nothing is saved');
  });

  it('configures SSH with the host key pinned', async function () {
    this.timeout(60_000);
    const ssh = lab.ssh;
    const updated = await vscode.commands.executeCommand<EsxiHostConfig>('vdvs.esxi.configureSsh', {
      hostId,
      host: ssh.host,
      port: ssh.port,
      user: ssh.user,
      auth: 'password',
      secret: ssh.password,
      trustFingerprint: ssh.hostKeyFingerprint,
    });
    assert.equal(updated?.ssh?.hostKeyFingerprint, ssh.hostKeyFingerprint);
    assert.deepEqual(savedHost()?.ssh, {
      host: ssh.host,
      port: ssh.port,
      user: ssh.user,
      auth: 'password',
      hostKeyFingerprint: ssh.hostKeyFingerprint,
    });
    assert.doesNotMatch(
      JSON.stringify(config().get('esxiHosts')),
      new RegExp(ssh.password.replace(/[^\w]/g, '.')),
      'the password is not in settings',
    );
    initially = (await status()).installed?.version;
    if (initially) await vscode.commands.executeCommand('vdvs.vib.remove', { hostId, confirmed: true, restartHostd: false });
  });

  it('installs the lab test VIB, and the VIB node then shows its version and the running service', async function () {
    this.timeout(180_000);
    const outcome = await vscode.commands.executeCommand<InstallOutcome>('vdvs.vib.install', {
      hostId,
      vibPath: lab.vib.path,
      confirmed: true,
      restartHostd: true,
    });
    assert.ok(outcome, 'the install command returned its outcome (see the log for an error)');
    assert.equal(outcome.status.installed?.version, lab.vib.version);
    assert.equal(outcome.hostdRestarted, true);

    const now = await status();
    const host = savedHost()!;
    const parent = new EsxiMessageNode(`esxi/${hostId}/vib`, 'vDVS VIB');
    const items = vibStatusNodes(parent, host, now).map((n) => n.getTreeItem());
    assert.equal(items[0].label, `esx-vmdkops-service ${lab.vib.version}`);
    assert.equal(items[0].contextValue, 'vdvs.vib.installed');
    assert.equal(items[1].label, 'vmdk_ops service running');
  });

  it('removes it again, and the node says "not installed" with the install action', async function () {
    this.timeout(120_000);
    assert.equal(await vscode.commands.executeCommand('vdvs.vib.remove', { hostId, confirmed: true, restartHostd: false }), true);
    const items = vibStatusNodes(new EsxiMessageNode(`esxi/${hostId}/vib`, 'vDVS VIB'), savedHost()!, await status()).map((n) =>
      n.getTreeItem(),
    );
    assert.equal(items.length, 1);
    assert.equal(items[0].label, 'not installed');
    assert.equal(items[0].command?.command, 'vdvs.vib.install');
  });
});
