// UI: the Getting Started walkthrough ticks its steps when their state is reached during the session
// (package.json contributes.walkthroughs, src/ui/walkthroughState.ts).
import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ensureVolumeLab, VolumeLab } from '../fixtures/volumeLab';
import { CodeServer, REPO_ROOT, Workbench } from './harness';
import { treeRow } from './sideBar';
import { palette, pick, T, trust, type } from './userInput';

const WALKTHROUGH = 'vdvs-tools.vsphere-docker-volumes#vdvs.gettingStarted';
const STEPS = ['esxiHost', 'vib', 'dockerHost', 'plugin', 'volume', 'container', 'backup'];
const PREFIX = 'h5-';

describe('the Getting Started walkthrough', { timeout: 400_000 }, () => {
  let lab: VolumeLab;
  let server: CodeServer;
  let wb: Workbench;

  before(
    async () => {
      lab = await ensureVolumeLab(); // the plugin enabled and the VIB installed, as the steps expect
      server = await CodeServer.start();
      wb = await Workbench.open(server, { extensionDevelopmentPath: REPO_ROOT, viewport: { width: 1280, height: 800 } });
    },
    { timeout: 240_000 },
  );

  after(async () => {
    await wb?.screenshot('walkthrough-last').catch(() => undefined);
    await wb?.close();
    await server?.stop();
  });

  /** The step's button in the walkthrough page (aria-checked = its check mark). */
  function step(id: string) {
    return wb.page.locator(`.getting-started-step[data-step-id="${WALKTHROUGH}#vdvs.gettingStarted.${id}"]`);
  }
  async function checked(id: string): Promise<string | null> {
    return step(id).getAttribute('aria-checked', { timeout: T });
  }
  /** Until the step shows its check mark (the page redraws the step when the service reports progress). */
  async function ticked(id: string): Promise<void> {
    await wb.page
      .locator(`.getting-started-step[data-step-id="${WALKTHROUGH}#vdvs.gettingStarted.${id}"][aria-checked="true"]`)
      .waitFor({ state: 'attached', timeout: T })
      .catch(async () => assert.fail(`the ${id} step is not ticked (aria-checked=${await checked(id)})`));
  }

  it('ticks the steps whose state is reached mid-session, with the views closed', async () => {
    await palette(wb, 'Welcome: Open Walkthrough...');
    await pick(wb, /walkthrough/i, 'Get Started with vSphere Docker Volumes', 'vSphere Docker Volumes');
    await step('esxiHost').waitFor({ state: 'visible', timeout: T });
    for (const id of STEPS) assert.equal(await checked(id), 'false', `${id} is not done in a fresh profile`);

    // the Docker host: its step, and the plugin step from the host's first read (the lab's plugin is
    // enabled), although the Docker Hosts view was never opened
    await palette(wb, 'vDVS: Add Docker Host…');
    await pick(wb, /How does VS Code reach the Docker host/, 'Local socket');
    await type(wb, /Endpoint/, lab.docker.host);
    await type(wb, /Name shown in the tree/, `${PREFIX}docker`);
    await ticked('dockerHost');
    await ticked('plugin');
    assert.equal(
      await wb.page.locator('.part.sidebar .pane-header', { hasText: 'Docker Hosts' }).count(),
      0,
      'the Docker Hosts view stayed closed',
    );

    await palette(wb, 'vDVS: Add ESXi Host or vCenter…');
    await type(wb, /Address or URL of the ESXi host/, lab.vsphere.url);
    await type(wb, /User name/, lab.vsphere.user);
    await trust(wb, /certificate of .* is not known yet/);
    await type(wb, /Password of/, lab.vsphere.password);
    await type(wb, /Name shown in the ESXi Hosts view/, `${PREFIX}esxi`);
    await ticked('esxiHost');
    await wb.screenshot('walkthrough-hosts-ticked');

    // SSH set up from the palette: the ESXi Hosts view opens on the VIB node, expanded, with the
    // status it read (the lab's VIB is installed), and that ticks the VIB step
    await palette(wb, 'vDVS: Configure SSH…');
    await pick(wb, /ESXi host to reach over SSH/, `${PREFIX}esxi`);
    await type(wb, /Address of the ESXi host/, lab.ssh.host);
    await type(wb, /SSH port/, String(lab.ssh.port));
    await type(wb, /User with an ESXi shell/, lab.ssh.user);
    await pick(wb, /How to log in to the ESXi shell/, 'Password');
    await type(wb, /SSH: password of/, lab.ssh.password);
    await trust(wb, /SSH host key of .* is not known yet/);
    const vibRow = treeRow(wb, 'ESXi Hosts', 'vDVS VIB');
    await vibRow.waitFor({ state: 'visible', timeout: T });
    await treeRow(wb, 'ESXi Hosts', `${lab.vib.name} `).waitFor({ state: 'visible', timeout: T });
    assert.equal(await vibRow.getAttribute('aria-expanded'), 'true', 'the VIB node is expanded after Configure SSH');
    await ticked('vib');
    await wb.screenshot('walkthrough-vib-ticked');
  });
});
