import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { verifyBackup } from '../../src/core/backup/verify';
import { ensureVolumeLab } from '../fixtures/volumeLab';

/** Runs the provided vdvs-backup task through the real tasks API and waits for it to end. */
describe('vdvs-backup task', () => {
  const hostName = `bk8-editor-${process.pid}`;
  const volume = `bk8ed${process.pid}`;
  let host = '';
  let dest = '';
  const docker = (...args: string[]) => execFileSync('/usr/bin/docker', ['-H', host, ...args], { encoding: 'utf8', timeout: 120_000 });

  before(async function () {
    this.timeout(120_000);
    // the plugin and the VIB must be there whatever ran before (a fresh lab has neither)
    host = (await ensureVolumeLab()).docker.host;
    dest = mkdtempSync(join(tmpdir(), 'vdvs-backup-editor-'));
    docker('volume', 'create', '--driver', 'vsphere', '--name', volume, '-o', 'size=32mb');
    docker('run', '--rm', '--network', 'none', '-v', `${volume}:/d`, 'alpine:latest', 'sh', '-c', 'echo from-the-editor > /d/hello.txt');
    const config = vscode.workspace.getConfiguration('vdvs');
    await config.update('dockerHosts', [{ id: 'bk8editor', name: hostName, endpoint: host }], vscode.ConfigurationTarget.Global);
    await config.update('backup.destination', dest, vscode.ConfigurationTarget.Global);
    await config.update('backup.retain', 1, vscode.ConfigurationTarget.Global);
  });

  after(async () => {
    const config = vscode.workspace.getConfiguration('vdvs');
    await config.update('dockerHosts', undefined, vscode.ConfigurationTarget.Global);
    await config.update('backup.destination', undefined, vscode.ConfigurationTarget.Global);
    await config.update('backup.retain', undefined, vscode.ConfigurationTarget.Global);
    try {
      docker('volume', 'rm', volume);
    } catch {
      // not created: the failing test says why
    }
    if (dest) rmSync(dest, { recursive: true, force: true });
  });

  it('offers a ready task per Docker host, runs it to the end with exit code 0 and leaves a verified backup', async function () {
    this.timeout(300_000);
    const tasks = await vscode.tasks.fetchTasks({ type: 'vdvs-backup' });
    const task = tasks.find((t) => t.definition.dockerHost === hostName);
    assert.ok(task, `no provided task for ${hostName}; got ${tasks.map((t) => t.name).join(', ')}`);
    assert.equal(task.name, `back up ${hostName}`);
    assert.deepEqual({ volumes: task.definition.volumes, mode: task.definition.mode }, { volumes: 'all', mode: 'archive' });

    let exitCode: number | undefined;
    const ended = new Promise<void>((resolve) => {
      const subs = [
        vscode.tasks.onDidEndTaskProcess((e) => {
          if (e.execution.task.definition.dockerHost === hostName) exitCode = e.exitCode;
        }),
        vscode.tasks.onDidEndTask((e) => {
          if (e.execution.task.definition.dockerHost !== hostName) return;
          subs.forEach((s) => s.dispose());
          resolve();
        }),
      ];
    });
    await vscode.tasks.executeTask(task);
    await ended;
    assert.equal(exitCode, 0, 'the task process ended with exit code 0');

    const folder = join(dest, hostName, `${volume}@datastore1`);
    assert.ok(existsSync(folder), `no backup folder ${folder}; destination holds ${readdirSync(join(dest, hostName)).join(', ')}`);
    const backups = readdirSync(folder).filter((n) => !n.startsWith('.'));
    assert.equal(backups.length, 1);
    const manifest = JSON.parse(readFileSync(join(folder, backups[0], 'manifest.json'), 'utf8'));
    assert.equal(manifest.mode, 'archive');
    assert.equal(manifest.dockerHost, hostName);
    assert.equal(manifest.files[0].name, 'volume.tar');
    const report = await verifyBackup(join(folder, backups[0]));
    assert.equal(report.ok, true, JSON.stringify(report.problems));
  });
});
