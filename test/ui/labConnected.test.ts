// UI: the state `npm run try` leaves (code-server started with VDVS_LAB_CONNECT=1 next to a running lab,
// no settings): the views show the lab's datastores, VMDKs, plugin and volumes with nothing typed, only
// rows clicked open; the passwords are in SecretStorage, not in the settings; the workspace has the
// backup task. Screenshots: screenshots/lab-connected-*.png.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureVolumeLab, labDocker, retryLabTransient, VolumeLab } from '../fixtures/volumeLab';
import { CodeServer, REPO_ROOT, Workbench } from './harness';
import { expandRow, focusView, treeRow, widenSideBar } from './sideBar';

const CONTAINER = 'vSphere Docker Volumes';
const P = `t18-lab${process.pid}`;
const T = 90_000;

describe('npm run try: the lab wired in', { timeout: 420_000 }, () => {
  let lab: VolumeLab;
  let docker: (...args: string[]) => Promise<string>;
  let server: CodeServer;
  let wb: Workbench;
  const volume = `${P}-vol`;

  before(
    async () => {
      lab = await ensureVolumeLab();
      docker = labDocker(lab);
      await retryLabTransient(() => docker('volume', 'create', '--driver=vsphere', `--name=${volume}`, '-o', 'size=1gb'));
      // what scripts/try.mjs starts (without --empty)
      server = await CodeServer.start({ env: { VDVS_LAB_DIR: lab.dir, VDVS_LAB_CONNECT: '1' } });
      wb = await Workbench.open(server, { extensionDevelopmentPath: REPO_ROOT, viewport: { width: 1400, height: 1100 } });
    },
    { timeout: 300_000 },
  );

  after(async () => {
    await wb?.close();
    await server?.stop();
    await retryLabTransient(() => docker?.('volume', 'rm', `${volume}@${lab.vsphere.datastore}`)).catch(() => undefined);
  });

  it('shows the lab ESXi host down to the VMDK, the vCenter, the Docker host with its plugin and the volume', async () => {
    await wb.openViewContainer(CONTAINER);
    await widenSideBar(wb, 640, T);
    const esxi = (label: string, child: string) => expandRow(wb, 'ESXi Hosts', label, child, T);
    await focusView(wb, 'ESXi Hosts', ['Docker Hosts', 'Volumes']);
    await treeRow(wb, 'ESXi Hosts', 'lab vCenter').waitFor({ state: 'visible', timeout: T });
    await esxi('lab ESXi', 'Datastores');
    await esxi('Datastores', lab.vsphere.datastore);
    await esxi(lab.vsphere.datastore, 'dockvols');
    await esxi('dockvols', '_DEFAULT');
    await esxi('_DEFAULT', volume);
    // SSH came wired in: the VIB node reads its status over the lab key, no password asked
    await esxi('lab ESXi', 'vDVS VIB');
    await wb.screenshot('lab-connected-01-esxi', wb.viewPane('ESXi Hosts'));

    await focusView(wb, 'Docker Hosts', ['ESXi Hosts', 'Volumes']);
    await expandRow(wb, 'Docker Hosts', 'vsphere plugin', `${volume}@${lab.vsphere.datastore}`, T);
    assert.match(await treeRow(wb, 'Docker Hosts', 'vsphere plugin').innerText(), /enabled/);
    await wb.screenshot('lab-connected-02-docker', wb.viewPane('Docker Hosts'));

    await focusView(wb, 'Volumes', ['ESXi Hosts', 'Docker Hosts']);
    await expandRow(wb, 'Volumes', lab.vsphere.datastore, volume, T);
    await wb.screenshot('lab-connected-03-volumes', wb.viewPane('Volumes'));
  });

  it('keeps the passwords out of the settings and puts the backup task in the workspace', () => {
    const settings = readFileSync(join(server.tmp, 'user-data', 'User', 'settings.json'), 'utf8');
    assert.match(settings, /"lab-esxi"/, 'the lab ESXi host is in the user settings');
    assert.ok(settings.includes(lab.vsphere.thumbprint), 'its thumbprint is pinned');
    assert.ok(settings.includes(lab.ssh.hostKeyFingerprint), 'its SSH host key is pinned');
    assert.ok(settings.includes(lab.plugin.ref), 'vdvs.plugin.reference is the lab registry');
    const vcenter = JSON.parse(readFileSync(join(lab.dir, 'lab.json'), 'utf8')).vcenter as { password: string };
    for (const secret of [lab.vsphere.password, vcenter.password, lab.ssh.password])
      assert.ok(!settings.includes(secret), 'a password is in the settings');
    const tasks = readFileSync(join(server.workspace, '.vscode', 'tasks.json'), 'utf8');
    assert.match(tasks, /"type": "vdvs-backup"/);
    assert.match(tasks, /"dockerHost": "lab Docker"/);
  });
});
