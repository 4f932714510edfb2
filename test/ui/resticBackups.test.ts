// UI: a restic repository as a user adds it — Add Backup Repository… from the palette, the URL and
// the password typed into the input boxes — and its backups under the volume in the Volumes view.
// Screenshots (git-ignored): 13-restic-wrong-password.png, 13-restic-backups.png.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SILENT } from '../../src/core/backup/reporter';
import { ResticStore } from '../../src/core/backup/restic/resticStore';
import { runBackupJob } from '../../src/core/backup/runJob';
import { DockerConnection } from '../../src/core/docker/connection';
import { ensureVolumeLab, labDocker, retryLabTransient, VolumeLab } from '../fixtures/volumeLab';
import { CodeServer, REPO_ROOT, Workbench } from './harness';

const P = `rsui${process.pid}`;
const HOST = 'docker-host-01';

describe('restic backups in the Volumes view', { timeout: 300_000 }, () => {
  let lab: VolumeLab;
  let docker: (...args: string[]) => Promise<string>;
  let server: CodeServer;
  let wb: Workbench;
  let root = '';
  const volume = `${P}-data`;
  const password = `ui-${process.pid}-pw`;

  before(
    async () => {
      lab = await ensureVolumeLab();
      docker = labDocker(lab);
      root = mkdtempSync(join(tmpdir(), 'vdvs-restic-ui-'));
      execFileSync('restic', ['init'], { env: { ...process.env, RESTIC_REPOSITORY: join(root, 'repo'), RESTIC_PASSWORD: password } });
      await retryLabTransient(() => docker('volume', 'create', '--driver=vsphere', `--name=${volume}`, '-o', 'size=64mb'));
      await docker('run', '--rm', '--network', 'none', '-v', `${volume}:/d`, 'alpine', 'sh', '-c', 'echo hello > /d/a.txt');
      // a backup made before the editor knew the repository (e.g. by the vdvs CLI from cron)
      const conn = await DockerConnection.open({ id: 'ui', name: HOST, endpoint: lab.docker.host }, { timeoutMs: 120_000 });
      try {
        const s = await runBackupJob(
          { dockerHost: HOST, volumes: [volume], mode: 'archive', repository: join(root, 'repo'), retain: 3 },
          { conn, store: new ResticStore({ url: join(root, 'repo'), password }), reporter: SILENT },
        );
        assert.equal(s.ok, true, JSON.stringify(s.results));
      } finally {
        conn.close();
      }
      const dockerHosts = [{ id: 'rs-ui-docker', name: HOST, endpoint: lab.docker.host, vmName: lab.vsphere.vm }];
      server = await CodeServer.start({ settings: { 'vdvs.dockerHosts': dockerHosts } });
      wb = await Workbench.open(server, { extensionDevelopmentPath: REPO_ROOT });
    },
    { timeout: 240_000 },
  );

  after(async () => {
    await wb?.close();
    await server?.stop();
    await retryLabTransient(() => docker('volume', 'rm', `${volume}@${lab.vsphere.datastore}`)).catch(() => docker('volume', 'rm', volume));
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('Add Backup Repository… typed in the palette; the backup then shows under its volume', async () => {
    await wb.openViewContainer('vSphere Docker Volumes');
    await wb.runCommand('vDVS: Add Backup Repository…');
    await wb.answerQuickInput(join(root, 'repo'));
    await wb.page
      .locator('.quick-input-widget', { hasText: 'Password of the restic repository' })
      .waitFor({ state: 'visible', timeout: 10_000 });
    // a wrong password is said in the box itself, which stays open for the next try
    await wb.answerQuickInput('not-the-password');
    await wb.page
      .locator('.quick-input-widget', { hasText: 'The password of the restic repository' })
      .waitFor({ state: 'visible', timeout: 20_000 });
    await wb.screenshot('13-restic-wrong-password');
    await wb.answerQuickInput(password);
    await wb.page
      .locator('.notifications-toasts .notification-list-item-message', { hasText: 'Added the backup repository' })
      .waitFor({ state: 'visible', timeout: 60_000 });

    const pane = await wb.expandView('Volumes');
    const row = (label: string) => pane.locator('.monaco-list-row', { has: wb.page.locator('.label-name', { hasText: label }) }).first();
    const volumeRow = row(volume);
    const backupRow = row('backup ');
    // the new setting reloads the view (its rows re-render collapsed): expand until the backup shows
    for (let attempt = 1; ; attempt++) {
      await volumeRow.waitFor({ state: 'visible', timeout: 60_000 });
      await wb.waitSidebarIdle();
      if ((await volumeRow.getAttribute('aria-expanded')) !== 'true') await volumeRow.locator('.monaco-tl-twistie').click();
      const shown = await backupRow
        .waitFor({ state: 'visible', timeout: 10_000 })
        .then(() => true)
        .catch(() => false);
      if (shown) break;
      if (attempt === 3)
        throw new Error(
          `no backup row; the Volumes view shows: ${JSON.stringify(await pane.locator('.monaco-list-row').allInnerTexts())} (${await wb.screenshot('13-restic-backups-failed')})`,
        );
    }
    assert.match(await backupRow.innerText(), /archive · .* · docker-host-01/s);
    await wb.waitSidebarIdle();
    await wb.screenshot('13-restic-backups');
  });
});
