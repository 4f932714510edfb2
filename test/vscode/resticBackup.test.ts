import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { ResticStore } from '../../src/core/backup/restic/resticStore';
import { DockerConnection } from '../../src/core/docker/connection';
import { ensureVolumeLab, labDocker, VolumeLab } from '../fixtures/volumeLab';
import { fillScript, volumeFileHashes } from '../integration/backupLab';

/**
 * A restic repository from the user's side: Add Backup Repository… on an empty folder (restic init
 * after the confirmation), the ready task backing up to it, run through the tasks API, and Restore
 * from it; the password only in SecretStorage.
 */
describe('restic repository as a backup destination', () => {
  const hostName = `rs-editor-${process.pid}`;
  const volume = `rsed${process.pid}`;
  const restored = `${volume}-r`;
  const password = `pw-${process.pid}-${Date.now()}`;
  let lab: VolumeLab;
  let conn: DockerConnection;
  let root = '';
  let repo = '';
  const asked: string[] = [];
  const told: string[] = [];

  before(async function () {
    this.timeout(180_000);
    lab = await ensureVolumeLab();
    root = mkdtempSync(join(tmpdir(), 'vdvs-restic-editor-'));
    repo = join(root, 'repo');
    const docker = labDocker(lab);
    await docker('volume', 'create', '--driver', 'vsphere', '--name', volume, '-o', 'size=32mb');
    await docker('run', '--rm', '--network', 'none', '-v', `${volume}:/d`, 'alpine:latest', 'sh', '-c', fillScript(64));
    conn = await DockerConnection.open({ id: 'rseditor', name: hostName, endpoint: lab.docker.host }, { timeoutMs: 120_000 });
    await vscode.workspace
      .getConfiguration('vdvs')
      .update('dockerHosts', [{ id: 'rseditor', name: hostName, endpoint: lab.docker.host }], vscode.ConfigurationTarget.Global);
  });

  after(async function () {
    this.timeout(120_000);
    const config = vscode.workspace.getConfiguration('vdvs');
    await config.update('dockerHosts', undefined, vscode.ConfigurationTarget.Global);
    await config.update('backup.repositories', undefined, vscode.ConfigurationTarget.Global);
    conn?.close();
    if (lab)
      for (const v of [volume, restored]) await labDocker(lab)('volume', 'rm', `${v}@${lab.vsphere.datastore}`).catch(() => undefined);
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('Add Backup Repository… creates an empty repository after the confirmation; the password is in SecretStorage only', async function () {
    this.timeout(120_000);
    const url = await vscode.commands.executeCommand('vdvs.backup.addRepository', undefined, {
      prompter: {
        async input(s: { id: string }) {
          asked.push(s.id);
          return { url: repo, password }[s.id];
        },
        async confirm(message: string, _detail: string, actions: string[]) {
          asked.push(`confirm: ${message}`);
          return actions[0];
        },
        async notify(_level: string, message: string) {
          told.push(message);
          return undefined;
        },
      },
    });
    assert.equal(url, repo);
    assert.deepEqual(asked, ['url', 'password', `confirm: There is no restic repository at ${repo}. Create one?`]);
    assert.match(told.join('\n'), /Added the backup repository/);
    assert.deepEqual(vscode.workspace.getConfiguration('vdvs').get('backup.repositories'), [{ url: repo }]);
    // code-server's user data sits beside the HOME the harness gives it (test/ui/harness.ts)
    const userData = join(homedir(), '..', 'user-data');
    const settings = ['User', 'Machine'].map((d) => readFileSync(join(userData, d, 'settings.json'), 'utf8')).join('\n');
    assert.match(settings, /backup\.repositories/, 'the repository is in the settings');
    assert.ok(!settings.includes(password), 'the password is not in the settings');
    assert.ok(readFileSync(join(repo, 'config')).length > 0, 'restic init wrote the repository');
  });

  it('the ready task backs up to the repository, and Restore brings every file back from it', async function () {
    this.timeout(300_000);
    const tasks = await vscode.tasks.fetchTasks({ type: 'vdvs-backup' });
    const task = tasks.find((t) => t.definition.dockerHost === hostName && t.definition.repository === repo);
    assert.ok(task, `no task to the repository; got ${tasks.map((t) => t.name).join(', ')}`);
    assert.equal(task.name, `back up ${hostName} to ${repo}`);
    assert.ok(!JSON.stringify(task.definition).includes(password), 'no secret in the task definition');
    let exitCode: number | undefined;
    const ended = new Promise<void>((resolve) => {
      const subs = [
        vscode.tasks.onDidEndTaskProcess((e) => {
          if (e.execution.task.definition.repository === repo) exitCode = e.exitCode;
        }),
        vscode.tasks.onDidEndTask((e) => {
          if (e.execution.task.definition.repository !== repo) return;
          subs.forEach((s) => s.dispose());
          resolve();
        }),
      ];
    });
    await vscode.tasks.executeTask(task);
    await ended;
    assert.equal(exitCode, 0, 'the task process ended with exit code 0');

    const store = new ResticStore({ url: repo, password });
    const [entry] = (await store.list(hostName, `${volume}@${lab.vsphere.datastore}`)).backups;
    assert.ok(entry, 'the repository holds the backup');
    const result = await vscode.commands.executeCommand(
      'vdvs.backup.restore',
      { backupDir: entry.dir },
      {
        prompter: {
          async pick(s: { id: string }) {
            return s.id === 'target' ? 'new' : undefined;
          },
          async input() {
            return restored;
          },
          async confirm(_m: string, _d: string, actions: string[]) {
            return actions.find((a) => a === 'Restore');
          },
          async notify() {
            return undefined;
          },
        },
      },
    );
    assert.equal(result, restored);
    assert.deepEqual(await volumeFileHashes(conn, restored), await volumeFileHashes(conn, volume));
  });
});
