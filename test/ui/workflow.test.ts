// UI: the reference walkthrough (../shared/reference-walkthrough.txt) end to end against the lab, only
// through what a user sees: the views, their context menus and inline buttons, the command palette,
// input boxes, quick picks, modal dialogs, the simple file dialog and the Run Task picker. One
// screenshot per step: screenshots/workflow-NN-<step>.png (git-ignored), also copied to $VDVS_TOUR_DIR
// when set: scripts/tour-screenshots.mjs runs this test on a clean private lab to retake the README tour.
//
// The lab is shared: before the run, leftovers of this test's names (dockerVol, dockerVolPersistent,
// devtest and test containers on them) are removed; the VIB and the plugin may already be installed
// by another suite, so both paths are handled (VIB: upgrade through the UI; plugin: the view shows it).
import * as assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Locator } from 'playwright-core';
import { labDocker, readVolumeLab, retryLabTransient, VolumeLab } from '../fixtures/volumeLab';
import { CodeServer, REPO_ROOT, Workbench } from './harness';
import * as user from './userInput';
import { escapeRegExp as escape, T } from './userInput';

const CONTAINER = 'vSphere Docker Volumes';
const ESXI_NAME = 'esxi-lab';
const DOCKER_NAME = 'docker-host-01';
const VOL = 'dockerVol';
const VOL_P = 'dockerVolPersistent';

describe('the reference workflow through the UI', { timeout: 900_000 }, () => {
  let lab: VolumeLab;
  let docker: (...args: string[]) => Promise<string>;
  let server: CodeServer;
  let wb: Workbench;
  let destination: string;
  let shot = 0;
  const screenshot = async (step: string) => {
    const file = await wb.screenshot(`workflow-${String(++shot).padStart(2, '0')}-${step}`);
    if (process.env.VDVS_TOUR_DIR) copyFileSync(file, join(process.env.VDVS_TOUR_DIR, basename(file)));
  };

  before(
    async () => {
      lab = readVolumeLab();
      docker = labDocker(lab);
      await cleanLab();
      destination = mkdtempSync(join(tmpdir(), 'vdvs-workflow-backups-'));
      server = await CodeServer.start({
        // what a lab user configures (scripts/try.mjs prints it): the plugin image of the lab registry
        settings: { 'vdvs.plugin.reference': lab.plugin.ref, 'vdvs.backup.destination': destination, 'vdvs.requestTimeoutSeconds': 30 },
      });
      wb = await Workbench.open(server, { extensionDevelopmentPath: REPO_ROOT, viewport: { width: 1280, height: 800 } });
    },
    { timeout: 240_000 },
  );

  after(async () => {
    await wb?.screenshot('workflow-last').catch(() => undefined); // what the window showed at the end (or the failure)
    await wb?.close();
    await server?.stop();
    if (lab) await cleanLab().catch((e) => console.error(`workflow cleanup: ${e}`));
    if (destination) rmSync(destination, { recursive: true, force: true });
  });

  /** Removes this test's containers and volumes from the shared lab (also leftovers of earlier runs). */
  async function cleanLab(): Promise<void> {
    const ids = (await docker('ps', '-aq', '--filter', 'name=^devtest$')).split(/\s+/).filter(Boolean);
    for (const v of [VOL, VOL_P]) {
      for (const name of [v, `${v}@${lab.vsphere.datastore}`])
        ids.push(...(await docker('ps', '-aq', '--filter', `volume=${name}`)).split(/\s+/).filter(Boolean));
    }
    if (ids.length) await docker('rm', '-f', ...new Set(ids));
    const listed = (await docker('volume', 'ls', '-q')).split('\n');
    for (const v of [VOL, VOL_P]) {
      for (const name of listed.filter((n) => n === v || n === `${v}@${lab.vsphere.datastore}`))
        await retryLabTransient(() => docker('volume', 'rm', name));
    }
  }

  // ---- what a user does, as helpers -------------------------------------------------------------

  /** Shows only `view` expanded in the side bar, so its tree has the room (lists render visible rows only). */
  async function only(view: string): Promise<Locator> {
    for (const name of ['ESXi Hosts', 'Docker Hosts', 'Volumes']) {
      const header = wb.viewPane(name).locator('.pane-header').first();
      const expanded = (await header.getAttribute('aria-expanded')) === 'true';
      if (expanded !== (name === view)) await header.click();
    }
    return wb.viewPane(view);
  }
  /** A tree row of `view` by its label (exact text or a pattern). */
  function row(view: string, label: string | RegExp): Locator {
    const text = typeof label === 'string' ? new RegExp(`^\\s*${escape(label)}\\s*$`) : label;
    return wb
      .viewPane(view)
      .locator('.monaco-list-row', { has: wb.page.locator('.label-name', { hasText: text }) })
      .first();
  }
  /** Expands a row once it is expandable (a row is re-rendered when its data changes: poll the locator). */
  async function expand(r: Locator, timeout = T): Promise<void> {
    const end = Date.now() + timeout;
    for (;;) {
      const state = await r.getAttribute('aria-expanded', { timeout: Math.max(1, end - Date.now()) });
      if (state === 'true') return;
      if (Date.now() > end) throw new Error(`row did not expand within ${timeout} ms (aria-expanded=${state})`);
      if (state === 'false')
        await r
          .locator('.monaco-tl-twistie')
          .click()
          .catch(() => undefined);
      await wb.page.waitForTimeout(250); // polling interval of the condition above
    }
  }
  /** Right-click on a row, then the menu entry `item`. */
  async function contextMenu(r: Locator, item: string): Promise<void> {
    await r.waitFor({ state: 'visible', timeout: T });
    await r.click({ button: 'right' });
    const entry = wb.page
      .locator('.context-view .monaco-menu .action-item .action-label', { hasText: new RegExp(`^\\s*${escape(item)}\\s*$`) })
      .first();
    await entry.waitFor({ state: 'visible', timeout: T });
    // a refresh of the tree under the open menu can swallow a click: the menu then stays open
    for (let attempt = 1; ; attempt++) {
      await entry.hover();
      await entry.click();
      const closed = await wb.page
        .locator('.context-view .monaco-menu')
        .waitFor({ state: 'hidden', timeout: 5000 })
        .then(
          () => true,
          () => false,
        );
      if (closed) return;
      assert.ok(attempt < 3, `the context menu entry ${item} does not react`);
    }
  }
  async function waitText(l: Locator, match: RegExp, timeout = T): Promise<string> {
    await l.filter({ hasText: match }).first().waitFor({ state: 'visible', timeout });
    return l.innerText();
  }

  it('walks the vDVS setup from the ESXi host to a listed backup', async () => {
    await wb.openViewContainer(CONTAINER);
    await wb.waitSidebarIdle(T);
    // a wider side bar, as a user would drag it, so that labels and descriptions are readable
    const sidebar = await wb.page.locator('.part.sidebar').boundingBox();
    assert.ok(sidebar);
    await wb.page.mouse.move(sidebar.x + sidebar.width + 1, sidebar.y + 300);
    await wb.page.mouse.down();
    await wb.page.mouse.move(sidebar.x + 520, sidebar.y + 300, { steps: 5 });
    await wb.page.mouse.up();

    // 1. Add the ESXi host: URL, user, thumbprint (a pick), password, name
    await user.palette(wb, 'vDVS: Add ESXi Host or vCenter…');
    await user.type(wb, /Address or URL of the ESXi host/, lab.vsphere.url);
    await user.type(wb, /User name/, lab.vsphere.user);
    const certText = await user.trust(wb, /certificate of .* is not known yet/);
    assert.ok(certText.includes(lab.vsphere.thumbprint), `the prompt shows the lab's thumbprint: ${certText}`);
    await user.type(wb, /Password of/, lab.vsphere.password);
    await user.type(wb, /Name shown in the ESXi Hosts view/, ESXI_NAME);
    await only('ESXi Hosts');
    await expand(row('ESXi Hosts', ESXI_NAME));
    await row('ESXi Hosts', 'Datastores').waitFor({ state: 'visible', timeout: T });
    await row('ESXi Hosts', 'vDVS VIB').waitFor({ state: 'visible', timeout: T });
    await screenshot('esxi-host-added');

    // 2. SSH for the host (context menu), then the VIB through the simple file dialog
    await contextMenu(row('ESXi Hosts', ESXI_NAME), 'Configure SSH…');
    await user.type(wb, /Address of the ESXi host/, lab.ssh.host);
    await user.type(wb, /SSH port/, String(lab.ssh.port));
    await user.type(wb, /User with an ESXi shell/, lab.ssh.user);
    await user.pick(wb, /How to log in to the ESXi shell/, 'Password');
    await user.type(wb, /SSH: password of/, lab.ssh.password);
    const keyText = await user.trust(wb, /SSH host key of .* is not known yet/);
    assert.ok(keyText.includes(lab.ssh.hostKeyFingerprint), `the prompt shows the lab's host key: ${keyText}`);
    const vibNode = row('ESXi Hosts', 'vDVS VIB');
    await waitText(vibNode, /ssh root@/);
    const versionRow = row('ESXi Hosts', /^esx-vmdkops-service /);
    const absentRow = row('ESXi Hosts', 'not installed');
    // Configure SSH reveals the VIB node expanded: its status shows without a click
    await Promise.race([versionRow.waitFor({ state: 'visible', timeout: T }), absentRow.waitFor({ state: 'visible', timeout: T })]);
    assert.equal(await vibNode.getAttribute('aria-expanded'), 'true');
    // Another suite on the shared lab may restart hostd meanwhile: esxcli then fails with "Connection
    // failure" (as on ESXi); the user retries, and so does the test, once.
    for (let attempt = 1; ; attempt++) {
      const wasInstalled = await versionRow.isVisible();
      if (wasInstalled)
        await contextMenu(versionRow, 'Upgrade vDVS VIB…'); // installed by another suite: the upgrade path
      else await contextMenu(vibNode, 'Install vDVS VIB…');
      await user.chooseFile(wb, /vDVS VIB or offline bundle/, lab.vib.path, 'Read VIB');
      const vibText = await user.modal(wb, /esx-vmdkops-service/, wasInstalled ? 'Upgrade' : 'Install');
      assert.match(vibText, new RegExp(escape(lab.vib.version)));
      const hostdBusy = wb.page.locator('.notifications-toasts .notification-list-item', { hasText: /Connection failure/ }).first();
      const restart = wb.page.locator('.monaco-dialog-box', { hasText: /Restart hostd on/ });
      await Promise.race([restart.waitFor({ state: 'visible', timeout: T }), hostdBusy.waitFor({ state: 'visible', timeout: T })]);
      if (await restart.isVisible()) break;
      assert.ok(attempt < 2, `the VIB install failed twice: ${await hostdBusy.innerText()}`);
      await hostdBusy
        .locator('.codicon-notifications-clear')
        .click()
        .catch(() => undefined);
      await Promise.race([versionRow.waitFor({ state: 'visible', timeout: T }), absentRow.waitFor({ state: 'visible', timeout: T })]);
    }
    await user.modal(wb, /Restart hostd on/, 'Restart hostd');
    await wb.page
      .locator('.notifications-toasts .notification-list-item-message', { hasText: new RegExp(`is installed on ${ESXI_NAME}`) })
      .first()
      .waitFor({ state: 'visible', timeout: 180_000 });
    await versionRow.waitFor({ state: 'visible', timeout: T });
    await row('ESXi Hosts', 'vmdk_ops service running').waitFor({ state: 'visible', timeout: T });
    assert.match(await versionRow.innerText(), new RegExp(escape(lab.vib.version)));
    await screenshot('vib-installed');

    // 3. The Docker host: the welcome button of the empty view, the lab's socket
    const dockerPane = await only('Docker Hosts');
    await dockerPane
      .locator('.welcome-view-content .monaco-button', { hasText: /Add Docker Host/ })
      .first()
      .click();
    await user.pick(wb, /How does VS Code reach the Docker host/, 'Local socket');
    await user.type(wb, /Endpoint/, lab.docker.host);
    await user.type(wb, /Name shown in the tree/, DOCKER_NAME);
    const hostRow = row('Docker Hosts', DOCKER_NAME);
    await hostRow.waitFor({ state: 'visible', timeout: T });
    const pluginRow = row('Docker Hosts', 'vsphere plugin');
    await waitText(pluginRow, /not installed|enabled|disabled/);
    await screenshot('docker-host-added');

    // 4. The plugin: privileges modal (or, installed by another suite, the view shows it enabled)
    if (/not installed/.test(await pluginRow.innerText())) {
      await contextMenu(pluginRow, 'Install vSphere Plugin…');
      const privileges = await user.modal(wb, /asks for these privileges/, 'Accept and Install');
      assert.match(privileges, /CAP_SYS_ADMIN/);
    }
    await waitText(pluginRow, /enabled · /, 180_000);
    await screenshot('plugin-installed');

    // 5. Two volumes through the wizard: dockerVol (independent_persistent, the vDVS default) and dockerVolPersistent
    for (const [name, attachAs] of [
      [VOL, 'independent_persistent'],
      [VOL_P, 'persistent'],
    ] as const) {
      await user.palette(wb, 'vDVS: Create Volume…');
      await user.type(wb, /Volume name|e\.g\. pgdata/, name);
      // no filter text: the step offers typed text as a datastore name, as its first row
      await user.pick(wb, /Datastore/, "Docker host VM's datastore", '');
      await user.pick(wb, /Start empty, or copy/, 'New empty volume');
      await user.type(wb, /Size: an integer/, '1gb');
      await user.pick(wb, /Disk format/, 'thin');
      await user.pick(wb, /Disk mode when attached/, attachAs);
      await user.pick(wb, /Access/, 'read-write');
      await user.pick(wb, /File system/, 'ext4');
      const confirm = await user.modal(wb, new RegExp(`Create ${escape(name)} on`), 'Create');
      assert.ok(
        confirm.includes(`--name=${name}`) && confirm.includes('-o size=1gb') && confirm.includes(`attach-as=${attachAs}`),
        confirm,
      );
    }
    await only('Volumes');
    const volRow = row('Volumes', new RegExp(`^${VOL}@`));
    const volPRow = row('Volumes', new RegExp(`^${VOL_P}@`));
    await waitText(volRow, /1GB.*independent_persistent/s);
    await waitText(volPRow, /1GB.*persistent/s);
    assert.equal(await volPRow.locator('.codicon-pass-filled').count(), 1, 'persistent: included in VM snapshots');
    assert.equal(await volRow.locator('.codicon-warning').count(), 1, 'independent: skipped by VM snapshots');
    await screenshot('volumes-created');

    // 6. Both VMDKs under dockvols in the ESXi Hosts view
    await only('ESXi Hosts');
    await expand(row('ESXi Hosts', 'Datastores'));
    await expand(row('ESXi Hosts', lab.vsphere.datastore));
    await expand(row('ESXi Hosts', 'dockvols'));
    await expand(row('ESXi Hosts', '_DEFAULT'));
    await row('ESXi Hosts', VOL).waitFor({ state: 'visible', timeout: T });
    await row('ESXi Hosts', VOL_P).waitFor({ state: 'visible', timeout: T });
    await row('ESXi Hosts', VOL_P).click();
    await screenshot('dockvols-vmdks');

    // 7. The test container, from the volume's context menu in the Docker Hosts view
    await only('Docker Hosts');
    const dockerVolP = row('Docker Hosts', new RegExp(`^${VOL_P}(@|$)`));
    await contextMenu(dockerVolP, 'Run Test Container');
    await expand(dockerVolP);
    const containerRow = row('Docker Hosts', new RegExp(`^vdvs-test-${VOL_P}`));
    await containerRow.waitFor({ state: 'visible', timeout: T });
    await waitText(containerRow, /running|Up/i);
    await screenshot('test-container');

    // 8. The backup task: Tasks: Run Task → vdvs-backup → the snapshot task of the Docker host
    await user.palette(wb, 'Tasks: Run Task');
    await user.pick(wb, /Select the task to run|Run Task/i, 'vdvs-backup', 'vdvs-backup');
    await user.quickInput(wb, new RegExp(`snapshot backup of ${DOCKER_NAME}`));
    await screenshot('run-task-picker');
    await user.pick(wb, /./, `vDVS: snapshot backup of ${DOCKER_NAME}`, `snapshot backup of ${DOCKER_NAME}`);
    // the terminal tab gets VS Code's check mark when the task ends with exit code 0 (an error mark otherwise)
    const panel = wb.page.locator('.part.panel');
    await panel.locator('.codicon-check, .codicon-error').first().waitFor({ state: 'visible', timeout: 300_000 });
    assert.equal(await panel.locator('.codicon-error').count(), 0, 'the backup task failed (see the terminal in workflow-last.png)');
    await screenshot('backup-task');

    // 9. The backup under the volume in the Volumes view
    await only('Volumes');
    await expand(volPRow);
    const backupRow = row('Volumes', /^backup /);
    await waitText(backupRow, /snapshot · /);
    await backupRow.click();
    await screenshot('backup-listed');
    const hostDir = join(destination, DOCKER_NAME);
    assert.ok(existsSync(hostDir) && readdirSync(hostDir).some((v) => v.startsWith(VOL_P)), `a backup folder of ${VOL_P} under ${hostDir}`);
    assert.ok(!readdirSync(hostDir).some((v) => v === VOL || v.startsWith(`${VOL}@`)), 'the independent volume was not included');
    const volDir = join(
      hostDir,
      readdirSync(hostDir).find((v) => v.startsWith(VOL_P))!,
    );
    const manifest = JSON.parse(readFileSync(join(volDir, readdirSync(volDir)[0], 'manifest.json'), 'utf8'));
    assert.equal(manifest.mode, 'snapshot');
    assert.deepEqual(manifest.files.map((f: { role: string }) => f.role).sort(), ['descriptor', 'flat', 'sidecar']);

    // 10. Verify the backup from its row's context menu: every sha256 recomputed, the result in a notification
    await contextMenu(backupRow, 'Verify Backup…');
    const verified = wb.page.locator('.notifications-toasts .notification-list-item-message', { hasText: / is intact: / }).first();
    await verified.waitFor({ state: 'visible', timeout: T });
    assert.match(await verified.innerText(), new RegExp(`^${escape(VOL_P)}\\S* of \\S+ is intact: 3 file\\(s\\), .*every sha256 matches`));
    await screenshot('backup-verified');
  });
});
