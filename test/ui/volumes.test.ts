// UI: the Volumes view against the lab, with a persistent and an independent volume, their backup
// badges and a container using one. Screenshot: screenshots/10-volumes-view.png (git-ignored).
import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ensureVolumeLab, labDocker, retryLabTransient, VolumeLab } from '../fixtures/volumeLab';
import { CodeServer, REPO_ROOT, Workbench } from './harness';

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

  before(async () => {
    lab = await ensureVolumeLab();
    docker = labDocker(lab);
    await retryLabTransient(() => docker('volume', 'create', '--driver=vsphere', `--name=${pers}`, '-o', 'size=1gb', '-o', 'attach-as=persistent'));
    await retryLabTransient(() => docker('volume', 'create', '--driver=vsphere', `--name=${indep}`, '-o', 'size=2gb', '-o', 'diskformat=zeroedthick'));
    await retryLabTransient(() => docker('run', '-d', '--name', container, '--network', 'none', '-v', `${pers}:/data`, 'alpine', 'sleep', '900'));
    server = await CodeServer.start({
      settings: { 'vdvs.dockerHosts': [{ id: 't7-ui-docker', name: 'docker-host-01', endpoint: lab.docker.host, vmName: lab.vsphere.vm }] },
    });
    wb = await Workbench.open(server, { extensionDevelopmentPath: REPO_ROOT });
  }, { timeout: 240_000 });

  after(async () => {
    await wb?.close();
    await server?.stop();
    await docker('rm', '-f', container).catch(() => undefined);
    for (const v of [pers, indep]) await retryLabTransient(() => docker('volume', 'rm', `${v}@${lab.vsphere.datastore}`)).catch(() => docker('volume', 'rm', v));
  });

  it('shows both volumes with their backup badges and the container', async () => {
    await wb.openViewContainer(CONTAINER);
    const pane = await wb.expandView('Volumes');
    const row = (label: string) => pane.locator('.monaco-list-row', { has: wb.page.locator('.label-name', { hasText: label }) }).first();
    await row(pers).waitFor({ state: 'visible', timeout: 60_000 });
    await wb.waitSidebarIdle();

    const persRow = row(pers);
    const indepRow = row(indep);
    assert.match(await persRow.innerText(), /1GB.*persistent/s);
    assert.match(await indepRow.innerText(), /2GB.*zeroedthick.*independent_persistent/s);
    assert.equal(await persRow.locator('.codicon-pass-filled').count(), 1, 'persistent: included in VM snapshots');
    assert.equal(await indepRow.locator('.codicon-warning').count(), 1, 'independent: skipped by VM snapshots');

    await wb.clickTreeItem(pers, { view: 'Volumes', expand: true });
    await row(container).waitFor({ state: 'visible', timeout: 15_000 });
    const shot = await wb.screenshot('10-volumes-view', pane);
    assert.ok(shot.endsWith('10-volumes-view.png'));
  });
});
