import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';

/**
 * "Install vSphere Plugin…" in a real VS Code against the lab dockerd: the privileges modal is
 * answered through the command's seam ({ prompter }), first refused, then accepted.
 */
describe('Docker Hosts: install the vsphere plugin', () => {
  const alias = `docker6vs${process.pid}`;
  const lab = JSON.parse(readFileSync(join(process.env.VDVS_LAB_DIR ?? '/tmp/vdvs-lab', 'lab.json'), 'utf8'));
  const docker = (...args: string[]) =>
    execFileSync('/usr/bin/docker', ['-H', lab.docker.host, ...args], { encoding: 'utf8', timeout: 60_000 });
  const config = () => vscode.workspace.getConfiguration('vdvs');

  before(async () => {
    await config().update(
      'dockerHosts',
      [{ id: 'docker6', name: 'lab-docker', endpoint: lab.docker.host }],
      vscode.ConfigurationTarget.Global,
    );
    await config().update('plugin.reference', lab.plugin.ref, vscode.ConfigurationTarget.Global);
    await config().update('plugin.alias', alias, vscode.ConfigurationTarget.Global);
    await config().update('plugin.env', ['VDVS_LOG_LEVEL=debug'], vscode.ConfigurationTarget.Global);
  });
  after(async () => {
    try {
      docker('plugin', 'rm', '-f', `${alias}:latest`);
    } catch {
      // not installed: the failing test says why
    }
    for (const key of ['dockerHosts', 'plugin.reference', 'plugin.alias', 'plugin.env'])
      await config().update(key, undefined, vscode.ConfigurationTarget.Global);
  });

  const prompter = (answer: (actions: string[]) => string | undefined, seen: string[]) => ({
    pick: async () => undefined,
    input: async () => undefined,
    confirm: async (message: string, detail: string, actions: string[]) => {
      seen.push(`${message}\n${detail}`);
      return answer(actions);
    },
  });

  it('installs nothing when the privileges are refused', async function () {
    this.timeout(60_000);
    const seen: string[] = [];
    await assert.rejects(
      Promise.resolve(
        vscode.commands.executeCommand('vdvs.plugin.install', undefined, { hostId: 'docker6', prompter: prompter(() => undefined, seen) }),
      ),
      /was not installed: its privileges were not accepted/,
      'the command ends with the PRIVILEGES_REFUSED error',
    );
    assert.match(seen[0] ?? '', /asks for these privileges/);
    assert.match(seen[0] ?? '', /CAP_SYS_ADMIN/);
    assert.doesNotMatch(docker('plugin', 'ls', '--format', '{{.Name}}'), new RegExp(alias));
  });

  it('installs, configures and enables it once the privileges are accepted', async function () {
    this.timeout(180_000);
    const seen: string[] = [];
    const status = await vscode.commands.executeCommand<
      { installed: boolean; enabled?: boolean; name?: string; env?: string[] } | undefined
    >('vdvs.plugin.install', undefined, {
      hostId: 'docker6',
      prompter: prompter((actions) => actions[0], seen),
    });
    assert.equal(seen.length, 1);
    assert.ok(status?.installed && status.enabled, JSON.stringify(status));
    assert.equal(status.name, `${alias}:latest`);
    assert.ok(status.env?.includes('VDVS_LOG_LEVEL=debug'));
    assert.match(
      docker('plugin', 'inspect', '--format', '{{.Enabled}} {{.PluginReference}}', `${alias}:latest`),
      new RegExp(`^true ${lab.plugin.ref.replace(/[.:/]/g, '\\$&')}`),
    );
  });
});
