// UI: "Add ESXi Host or vCenter…" from the command palette, answered through its input boxes and
// the certificate prompt (an Enter there refuses; a click on "Trust and Pin" pins), then the ESXi
// Hosts view expanded down to the lab's VMDKs (two volumes made through the lab's docker, one
// attached to docker-host-01 by a container).
// Screenshots: screenshots/esxi-hosts-*.png (git-ignored).
import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Locator } from 'playwright-core';
import { ensureVolumeLab, labDocker, retryLabTransient, VolumeLab } from '../fixtures/volumeLab';
import { CodeServer, REPO_ROOT, SCREENSHOT_DIR, Workbench } from './harness';
import { expandRow, focusView, treeRow, widenSideBar } from './sideBar';
import { trust } from './userInput';

const CONTAINER = 'vSphere Docker Volumes';
const VIEW = 'ESXi Hosts';
const P = `t4-ui${process.pid}`;
const HOST_NAME = `${P}-esxi`;
/** Generous: 2 loaded cores run code-server, chromium, the lab and other suites. */
const T = 90_000;

describe('ESXi Hosts view on the lab', { timeout: 420_000 }, () => {
  let lab: VolumeLab;
  let docker: (...args: string[]) => Promise<string>;
  let server: CodeServer;
  let wb: Workbench;
  const attached = `${P}-attached`;
  const detached = `${P}-detached`;
  const container = `${P}-app`;

  before(
    async () => {
      lab = await ensureVolumeLab();
      docker = labDocker(lab);
      await retryLabTransient(() =>
        docker('volume', 'create', '--driver=vsphere', `--name=${attached}`, '-o', 'size=1gb', '-o', 'attach-as=persistent'),
      );
      await retryLabTransient(() =>
        docker('volume', 'create', '--driver=vsphere', `--name=${detached}`, '-o', 'size=2gb', '-o', 'diskformat=zeroedthick'),
      );
      await retryLabTransient(() =>
        docker(
          'run',
          '-d',
          '--name',
          container,
          '--network',
          'none',
          '--mount',
          `source=${attached},target=/vmdk`,
          'alpine',
          'sleep',
          '1d',
        ),
      );
      server = await CodeServer.start();
      wb = await Workbench.open(server, { extensionDevelopmentPath: REPO_ROOT, viewport: { width: 1400, height: 1000 } });
    },
    { timeout: 300_000 },
  );

  after(async () => {
    await wb?.close();
    await server?.stop();
    if (!docker) return;
    await docker('rm', '-f', container).catch(() => undefined);
    for (const v of [attached, detached])
      await retryLabTransient(() => docker('volume', 'rm', `${v}@${lab.vsphere.datastore}`)).catch(() =>
        docker('volume', 'rm', v).catch(() => undefined),
      );
  });

  const row = (label: string): Locator => treeRow(wb, VIEW, label);
  /** Waits for the quick input to show `prompt`, then types `answer` and presses Enter. */
  async function answer(prompt: RegExp, text: string): Promise<void> {
    await wb.page.locator('.quick-input-widget', { hasText: prompt }).waitFor({ state: 'visible', timeout: T });
    await wb.answerQuickInput(text);
    await wb.page.locator('.quick-input-widget', { hasText: prompt }).waitFor({ state: 'hidden', timeout: T });
  }
  const expand = (label: string, child: string) => expandRow(wb, VIEW, label, child, T);

  it('a stray Enter at the certificate prompt trusts nothing: the host is not added', async () => {
    await wb.openViewContainer(CONTAINER);
    await wb.runCommand('vDVS: Add ESXi Host or vCenter…');
    await answer(/Address or URL of the ESXi host/, lab.vsphere.url);
    await answer(/User name/, lab.vsphere.user);
    const prompt = wb.page.locator('.quick-input-widget', { hasText: /certificate of .* is not known yet/ });
    await prompt.waitFor({ state: 'visible', timeout: T });
    await wb.screenshot('esxi-hosts-01-certificate');
    await wb.page.keyboard.press('Enter');
    const refused = wb.page.locator('.notifications-toasts .notification-list-item-message', { hasText: /Not trusted/ });
    await refused.waitFor({ state: 'visible', timeout: T });
    await wb.screenshot('esxi-hosts-00-enter-refuses');
    assert.equal(await row(HOST_NAME).count(), 0);
  });

  it('adds the lab host through the palette, its input boxes and the certificate prompt', async () => {
    await wb.runCommand('vDVS: Add ESXi Host or vCenter…');
    await answer(/Address or URL of the ESXi host/, lab.vsphere.url);
    await answer(/User name/, lab.vsphere.user);
    const text = await trust(wb, /certificate of .* is not known yet/);
    assert.ok(text.includes(lab.vsphere.thumbprint), `the prompt shows the thumbprint to compare: ${text}`);
    // a wrong password is told in the password box itself, which stays open for the right one
    const box = wb.page.locator('.quick-input-widget', { hasText: /Password of root/ });
    await box.waitFor({ state: 'visible', timeout: T });
    await wb.answerQuickInput('not-the-password');
    // the message takes the prompt's place in the box
    const told = wb.page.locator('.quick-input-widget .quick-input-message', { hasText: /wrong user name or password/ });
    await told.waitFor({ state: 'visible', timeout: T });
    await wb.screenshot('esxi-hosts-01b-wrong-password');
    await wb.answerQuickInput(lab.vsphere.password);
    await told.waitFor({ state: 'hidden', timeout: T });
    await answer(/Name shown in the ESXi Hosts view/, HOST_NAME);
    await row(HOST_NAME).waitFor({ state: 'visible', timeout: T });
    assert.match(
      await row(HOST_NAME).innerText(),
      new RegExp(`${lab.vsphere.user} @ ${new URL(lab.vsphere.url).host.replace(/\./g, '\\.')}`),
    );
  });

  it('keeps the node-only commands out of the command palette', async () => {
    await wb.page.keyboard.press('F1');
    const input = wb.page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: T });
    await input.fill('>vDVS: Copy');
    const rows = wb.page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
    // the volume command picks its volume, so it stays: once it shows, the list has settled
    await rows.filter({ hasText: 'Copy docker volume create Command' }).first().waitFor({ state: 'visible', timeout: T });
    const listed = (await rows.allInnerTexts()).join('\n');
    for (const title of ['Copy Datastore Path', 'Copy govc Command', 'Copy docker CLI Line'])
      assert.ok(!listed.includes(title), `"${title}" is in the palette:\n${listed}`);
    await input.fill('>vDVS: Show Details');
    await rows
      .first()
      .or(wb.page.locator('.quick-input-widget .quick-input-message', { hasText: /No matching/ }))
      .first()
      .waitFor({ state: 'visible', timeout: T });
    assert.ok(!(await rows.allInnerTexts()).some((t) => t.includes('vDVS: Show Details')), 'Show Details is in the palette');
    await wb.page.keyboard.press('Escape');
  });

  it('expands host → Datastores → datastore1 → dockvols → _DEFAULT to the VMDKs, and the VM to its disks', async () => {
    await focusView(wb, VIEW, ['Docker Hosts', 'Volumes']);
    await expand(HOST_NAME, 'Datastores');
    await expand('Datastores', lab.vsphere.datastore);
    await expand(lab.vsphere.datastore, 'dockvols');
    await expand('dockvols', '_DEFAULT');
    await expand('_DEFAULT', attached);
    await row(detached).waitFor({ state: 'visible', timeout: T });
    await expand('Virtual machines', lab.vsphere.vm);
    await expand(lab.vsphere.vm, 'dockerDataVolume');
    const vdvsDisk = wb
      .viewPane(VIEW)
      .locator('.monaco-list-row', { hasText: `vDVS volume ${attached}` })
      .first();
    await vdvsDisk.waitFor({ state: 'visible', timeout: T });
    await wb.waitSidebarIdle(T);

    assert.match(await row(attached).innerText(), /1\.0 GB.*attached to docker-host-01 \(persistent\)/s);
    assert.match(await row(detached).innerText(), /detached/);
    assert.match(await row('_DEFAULT').innerText(), /11111111-1111-1111-1111-111111111111 · \d+ VMDKs?/);
    assert.match(await vdvsDisk.innerText(), /1\.0 GB · persistent · vDVS volume/);
    await widenSideBar(wb, 760, T);
    await wb.screenshot('esxi-hosts-02-tree', wb.viewPane(VIEW));

    // the VMDK's tooltip: datastore path, sizes, format, attachment
    await row(attached).hover();
    const hover = wb.page.locator('.monaco-hover, .workbench-hover', { hasText: 'Attached to' }).first();
    await hover.waitFor({ state: 'visible', timeout: T });
    assert.match(
      await hover.innerText(),
      new RegExp(`\\[${lab.vsphere.datastore}\\] dockvols/11111111-1111-1111-1111-111111111111/${attached}\\.vmdk`),
    );
    await wb.page.screenshot({ path: `${SCREENSHOT_DIR}/esxi-hosts-03-vmdk-tooltip.png` });
  });
});
