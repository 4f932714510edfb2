import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

const EXTENSION_ID = 'vdvs-tools.vsphere-docker-volumes';
const VIEWS = ['vdvs.esxiHosts', 'vdvs.dockerHosts', 'vdvs.volumes'];
const HEAVY = ['soap', 'ssh2', 'dockerode'];

/** Modules in the extension host's require cache that belong to one of the heavy libraries. */
function heavyModulesLoaded(): string[] {
  const pattern = new RegExp(`[\\\\/](?:node_modules[\\\\/](?:${HEAVY.join('|')})[\\\\/]|dist[\\\\/]vendor[\\\\/](?:${HEAVY.join('|')})\\.js$)`);
  return Object.keys(require.cache).filter((p) => pattern.test(p));
}

describe('activation', () => {
  let ext: vscode.Extension<unknown>;
  let heavyBefore: string[];

  before(() => {
    heavyBefore = heavyModulesLoaded();
  });

  it('the extension is present', () => {
    const found = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(found, `${EXTENSION_ID} is not among ${vscode.extensions.all.map((e) => e.id).join(', ')}`);
    ext = found;
  });

  it('activates without error', async function () {
    this.timeout(30_000);
    await ext.activate();
    assert.equal(ext.isActive, true);
  });

  it('loads none of soap, ssh2, dockerode during activation', () => {
    assert.deepEqual(heavyBefore, [], 'heavy modules were loaded before the extension activated');
    assert.deepEqual(heavyModulesLoaded(), []);
    assert.ok(Object.keys(require.cache).some((p) => p.endsWith('extension.js') && p.includes(ext.extensionPath)),
      'the extension bundle is not in this require cache: the check above would prove nothing');
  });

  it('registers every command of package.json', async () => {
    const declared: string[] = (ext.packageJSON.contributes?.commands ?? []).map((c: { command: string }) => c.command);
    assert.ok(declared.length > 0, 'package.json declares no commands');
    const all = new Set(await vscode.commands.getCommands(true));
    assert.deepEqual(declared.filter((c) => !all.has(c)), [], 'declared but not registered');
  });

  it('contributes the view container and its three views', async () => {
    const views = ext.packageJSON.contributes?.views?.vdvs ?? [];
    assert.deepEqual(views.map((v: { id: string }) => v.id), VIEWS);
    await vscode.commands.executeCommand('workbench.view.extension.vdvs');
    const all = new Set(await vscode.commands.getCommands(true));
    for (const id of VIEWS) {
      assert.ok(all.has(`${id}.focus`), `no focus command for view ${id}: the view is not registered`);
      await vscode.commands.executeCommand(`${id}.focus`);
    }
  });

  it('runs in the editor the harness promised', () => {
    assert.ok(vscode.version.startsWith('1.'), vscode.version);
    assert.equal(ext.extensionKind, vscode.ExtensionKind.Workspace);
  });
});
