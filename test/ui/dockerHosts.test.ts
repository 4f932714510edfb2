// UI: the Docker Hosts view on the lab's dockerd: the host with the enabled vsphere plugin, a vsphere
// volume and the container that mounts it (made through the lab's docker, as the reference walkthrough
// does: `--mount source=VOL,target=/vmdk alpine sleep 1d`). Screenshot: screenshots/docker-hosts-*.png.
import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Locator } from 'playwright-core';
import { ensureVolumeLab, labDocker, retryLabTransient, VolumeLab } from '../fixtures/volumeLab';
import { CodeServer, REPO_ROOT, SCREENSHOT_DIR, Workbench } from './harness';
import { expandRow, focusView, treeRow, widenSideBar } from './sideBar';

const CONTAINER = 'vSphere Docker Volumes';
const VIEW = 'Docker Hosts';
const P = `t46-ui${process.pid}`;
const HOST_NAME = `${P}-docker`;
/** Generous: 2 loaded cores run code-server, chromium, the lab and other suites. */
const T = 90_000;

describe('Docker Hosts view on the lab', { timeout: 420_000 }, () => {
  let lab: VolumeLab;
  let docker: (...args: string[]) => Promise<string>;
  let server: CodeServer;
  let wb: Workbench;
  const volume = `${P}-vol`;
  const container = `${P}-app`;
  /** Docker lists vDVS volumes by their full name. */
  let fullName: string;

  before(
    async () => {
      lab = await ensureVolumeLab();
      docker = labDocker(lab);
      fullName = `${volume}@${lab.vsphere.datastore}`;
      await retryLabTransient(() => docker('volume', 'create', '--driver=vsphere', `--name=${volume}`, '-o', 'size=1gb'));
      await retryLabTransient(() =>
        docker('run', '-d', '--name', container, '--network', 'none', '--mount', `source=${volume},target=/vmdk`, 'alpine', 'sleep', '1d'),
      );
      server = await CodeServer.start({
        settings: {
          'vdvs.dockerHosts': [{ id: 't46-ui', name: HOST_NAME, endpoint: lab.docker.host }],
          'vdvs.plugin.reference': lab.plugin.ref,
        },
      });
      wb = await Workbench.open(server, { extensionDevelopmentPath: REPO_ROOT, viewport: { width: 1400, height: 1000 } });
    },
    { timeout: 300_000 },
  );

  after(async () => {
    await wb?.close();
    await server?.stop();
    if (!docker) return;
    await docker('rm', '-f', container).catch(() => undefined);
    await retryLabTransient(() => docker('volume', 'rm', fullName)).catch(() => docker('volume', 'rm', volume).catch(() => undefined));
  });

  const row = (label: string): Locator => treeRow(wb, VIEW, label);

  it('shows the host, the enabled plugin, the volume and the container using it', async () => {
    await wb.openViewContainer(CONTAINER);
    await focusView(wb, VIEW, ['ESXi Hosts', 'Volumes']);
    // host and plugin open by themselves once the host is read
    await expandRow(wb, VIEW, fullName, container, T);
    const volumeRow = row(fullName);
    await wb.waitSidebarIdle(T);

    assert.match(await row(HOST_NAME).innerText(), /Docker \d+\.\d+\.\S+ · Debian/);
    assert.match(await row('vsphere plugin').innerText(), /enabled · 0\.21\.\d+ · vsphere:latest/);
    assert.match(await volumeRow.innerText(), /1GB · independent_persistent · attached · 1 container/);
    assert.match(await row(container).innerText(), /running · alpine · \/vmdk/);

    assert.deepEqual(
      (await wb.notifications()).filter((n) => /already registered|error/i.test(n)),
      [],
      'error notifications',
    );
    await widenSideBar(wb, 760, T);
    await wb.screenshot('docker-hosts-01-tree', wb.viewPane(VIEW));

    await volumeRow.hover();
    const hover = wb.page.locator('.monaco-hover, .workbench-hover', { hasText: 'driver' }).first();
    await hover.waitFor({ state: 'visible', timeout: T });
    assert.match(await hover.innerText(), /vsphere:latest/);
    await wb.page.screenshot({ path: `${SCREENSHOT_DIR}/docker-hosts-02-volume-tooltip.png` });
  });
});
