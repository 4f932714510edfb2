// UI: the Volumes view against the lab, with a persistent and an independent volume, their backup
// badges and a container using one; the create wizard's datastore step without an ESXi host. Screenshots
// (git-ignored): 10-volumes-view.png, 11-volumes-badge-tooltip.png (the independent volume's badge
// explained), 12-create-volume-typed-datastore.png.
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureVolumeLab, labDocker, retryLabTransient, VolumeLab } from '../fixtures/volumeLab';
import { CodeServer, REPO_ROOT, SCREENSHOT_DIR, Workbench } from './harness';

const CONTAINER = 'vSphere Docker Volumes';
const P = `t7-ui${process.pid}`;

describe('Volumes view on the lab', { timeout: 300_000 }, () => {
  let lab: VolumeLab;
  let docker: (...args: string[]) => Promise<string>;
  let server: CodeServer;
  let wb: Workbench;
  const pers = `${P}-persistent`;
  const indep = `${P}-independent`;
  const container = `${P}-app`;

  before(
    async () => {
      lab = await ensureVolumeLab();
      docker = labDocker(lab);
      await retryLabTransient(() =>
        docker('volume', 'create', '--driver=vsphere', `--name=${pers}`, '-o', 'size=1gb', '-o', 'attach-as=persistent'),
      );
      await retryLabTransient(() =>
        docker('volume', 'create', '--driver=vsphere', `--name=${indep}`, '-o', 'size=2gb', '-o', 'diskformat=zeroedthick'),
      );
      // by its full name: Docker may drop a vDVS short name from its store once the plugin lists vol@ds,
      // and then cannot unmount it when the container goes (the plugin keeps it mounted, remove fails)
      await retryLabTransient(() =>
        docker(
          'run',
          '-d',
          '--name',
          container,
          '--network',
          'none',
          '-v',
          `${pers}@${lab.vsphere.datastore}:/data`,
          'alpine',
          'sleep',
          '900',
        ),
      );
      // the Docker host as a user setting: host lists are application-scoped, a workspace cannot set them
      const dockerHosts = [{ id: 't7-ui-docker', name: 'docker-host-01', endpoint: lab.docker.host, vmName: lab.vsphere.vm }];
      server = await CodeServer.start({ settings: { 'vdvs.dockerHosts': dockerHosts } });
      wb = await Workbench.open(server, { extensionDevelopmentPath: REPO_ROOT });
    },
    { timeout: 240_000 },
  );

  after(async () => {
    await wb?.close();
    await server?.stop();
    await docker('rm', '-f', container).catch(() => undefined);
    for (const v of [pers, indep])
      await retryLabTransient(() => docker('volume', 'rm', `${v}@${lab.vsphere.datastore}`)).catch(() => docker('volume', 'rm', v));
  });

  it('shows both volumes with their backup badges and the container', async () => {
    await wb.openViewContainer(CONTAINER);
    const pane = await wb.expandView('Volumes');
    const row = (label: string) => pane.locator('.monaco-list-row', { has: wb.page.locator('.label-name', { hasText: label }) }).first();
    await row(pers)
      .waitFor({ state: 'visible', timeout: 60_000 })
      .catch(async (err) => {
        throw new Error(
          `${err.message}\nthe Volumes view shows: ${JSON.stringify(await pane.locator('.monaco-list-row').allInnerTexts())} (${await wb.screenshot('10-volumes-view-failed')})`,
        );
      });
    await wb.waitSidebarIdle();

    const persRow = row(pers);
    const indepRow = row(indep);
    assert.match(await persRow.innerText(), /1GB.*persistent/s);
    assert.match(await indepRow.innerText(), /2GB.*zeroedthick.*independent_persistent/s);
    assert.equal(await persRow.locator('.codicon-pass-filled').count(), 1, 'persistent: included in VM snapshots');
    assert.equal(await indepRow.locator('.codicon-warning').count(), 1, 'independent: skipped by VM snapshots');

    // the twistie only: a click on the row itself also toggles it
    if ((await persRow.getAttribute('aria-expanded')) !== 'true') await persRow.locator('.monaco-tl-twistie').click();
    await row(container)
      .waitFor({ state: 'visible', timeout: 15_000 })
      .catch(async (err) => {
        throw new Error(
          `${err.message}\nthe Volumes view shows: ${JSON.stringify(await pane.locator('.monaco-list-row').allInnerTexts())} (${await wb.screenshot('10-volumes-view-failed')})`,
        );
      });
    // a wider side bar (drag its edge), so the descriptions show whole in the picture
    const bar = await wb.page.locator('.part.sidebar').boundingBox();
    if (bar) {
      await wb.page.mouse.move(bar.x + bar.width + 1, bar.y + bar.height / 2);
      await wb.page.mouse.down();
      await wb.page.mouse.move(bar.x + 900, bar.y + bar.height / 2, { steps: 5 });
      await wb.page.mouse.up();
    }
    const shot = await wb.screenshot('10-volumes-view', pane);
    assert.ok(shot.endsWith('10-volumes-view.png'));

    // the warning badge explained: the independent volume's tooltip gives the reason and the way out
    await indepRow.hover();
    const hover = wb.page.locator('.monaco-hover, .workbench-hover', { hasText: 'Way out' }).first();
    await hover.waitFor({ state: 'visible', timeout: 15_000 });
    assert.match(await hover.innerText(), /Skipped by VM snapshot backups[\s\S]*attach-as=persistent/);
    await wb.page.screenshot({ path: join(SCREENSHOT_DIR, '11-volumes-badge-tooltip.png') });
  });

  it('Create Volume without an ESXi host: the datastore step says so and takes a typed name', async () => {
    const name = `h2-typed${process.pid}`;
    await wb.page.mouse.move(0, 0); // no tooltip over the quick input
    await wb.runCommand('vDVS: Create Volume…');
    const widget = wb.page.locator('.quick-input-widget');
    const step = (placeholder: string) => widget.locator(`.quick-input-box input[placeholder*="${placeholder}"]`);
    await step('e.g. pgdata').waitFor({ state: 'visible', timeout: 30_000 });
    await step('e.g. pgdata').fill(name);
    await wb.page.keyboard.press('Enter');
    const datastore = step('no ESXi host is configured');
    await datastore.waitFor({ state: 'visible', timeout: 30_000 });
    await datastore.fill('nfs-typed');
    const rows = widget.locator('.quick-input-list .monaco-list-row');
    await rows.filter({ hasText: 'datastore typed by name' }).first().waitFor({ state: 'visible', timeout: 15_000 });
    assert.match(
      await rows.first().innerText(),
      /^nfs-typed[\s\S]*datastore typed by name/,
      'the typed name is the first choice, so Enter takes it',
    );
    await wb.page.screenshot({ path: join(SCREENSHOT_DIR, '12-create-volume-typed-datastore.png') });
    await wb.page.keyboard.press('Enter');
    await step('Start empty, or copy').waitFor({ state: 'visible', timeout: 15_000 });
    await wb.page.keyboard.press('Escape');
    assert.ok(!(await docker('volume', 'ls', '-q')).includes(name), 'cancelled: nothing created');
  });
});
