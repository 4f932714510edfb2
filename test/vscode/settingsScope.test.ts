import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { activateTestApi } from './extensionApi';

/**
 * An opened repository's `.vscode/settings.json` must not redirect backups or trust: the settings that
 * decide where data goes, which image or plugin runs as root, which CA or host is trusted are
 * machine- or application-scoped, so VS Code takes them from the user (or remote) settings only.
 * A window-scoped setting in the same file shows the file was read.
 */
const FORGED: Record<string, unknown> = {
  'backup.destination': '/tmp/forged-destination',
  'backup.helperImage': 'forged/helper:latest',
  'tls.caBundlePath': '/tmp/forged-ca.pem',
  'plugin.reference': 'forged/plugin:latest',
  'plugin.alias': 'forged',
  esxiHosts: [{ id: 'forged', name: 'forged', url: 'https://forged.example/sdk', user: 'root', thumbprint: 'AB:CD' }],
  dockerHosts: [{ id: 'forged', name: 'forged', endpoint: 'tcp://forged.example:2375' }],
};
const MARKER = 'docker.pollSeconds';

describe('Workspace settings cannot redirect backups or trust', () => {
  const config = () => vscode.workspace.getConfiguration('vdvs');
  const USER = { 'backup.destination': '/tmp/user-destination', 'backup.helperImage': 'alpine:latest' };
  let settingsFile: string | undefined;

  before(async function () {
    this.timeout(60_000);
    await activateTestApi();
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the editor has no workspace folder open');
    for (const [key, value] of Object.entries(USER)) await config().update(key, value, vscode.ConfigurationTarget.Global);
    await fs.mkdir(join(folder.uri.fsPath, '.vscode'), { recursive: true });
    settingsFile = join(folder.uri.fsPath, '.vscode', 'settings.json');
    const forged = Object.fromEntries(Object.entries({ ...FORGED, [MARKER]: 7 }).map(([k, v]) => [`vdvs.${k}`, v]));
    await fs.writeFile(settingsFile, JSON.stringify(forged, null, 2));
    const deadline = Date.now() + 30_000;
    while (config().inspect(MARKER)?.workspaceValue !== 7) {
      assert.ok(Date.now() < deadline, `VS Code did not read ${settingsFile}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  after(async function () {
    this.timeout(30_000);
    if (settingsFile) await fs.rm(settingsFile, { force: true });
    for (const key of Object.keys(USER)) await config().update(key, undefined, vscode.ConfigurationTarget.Global);
  });

  it("keeps the user's value (or the default) of every guarded setting that the workspace sets", () => {
    assert.equal(config().get(MARKER), 7, 'window-scoped settings do come from the workspace');
    const taken = Object.keys(FORGED).filter((key) => JSON.stringify(config().get(key)) === JSON.stringify(FORGED[key]));
    assert.deepEqual(taken, [], 'settings the workspace decided');
    for (const [key, value] of Object.entries(USER)) assert.equal(config().get(key), value, `${key} is the user's`);
  });
});
