// UI: a Docker daemon that goes away shows as unreachable within vdvs.requestTimeoutSeconds, and comes
// back within seconds of its return (issue 18). The lab's own dockerd (its PID from lab.json, checked to
// be a dockerd) is paused with SIGSTOP, the harder case: its socket stays open and silent, so only the
// liveness ping notices; SIGCONT brings it back. Screenshots: screenshots/docker-down-*.png.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { ensureVolumeLab, VolumeLab } from '../fixtures/volumeLab';
import { CodeServer, REPO_ROOT, Workbench } from './harness';
import { focusView, treeRow } from './sideBar';

const CONTAINER = 'vSphere Docker Volumes';
const VIEW = 'Docker Hosts';
const HOST_NAME = `t18-down${process.pid}`;
const TIMEOUT_S = 10;
/** The view has to render what the extension knows: a little on top of the timeout on 2 loaded cores. */
const RENDER_MS = 3_000;
const T = 90_000;

describe('Docker Hosts: a daemon that goes away and comes back', { timeout: 300_000 }, () => {
  let lab: VolumeLab;
  let server: CodeServer;
  let wb: Workbench;
  let dockerd = 0;
  let paused = false;
  const signal = (sig: 'SIGSTOP' | 'SIGCONT') => {
    process.kill(dockerd, sig);
    paused = sig === 'SIGSTOP';
  };

  before(
    async () => {
      lab = await ensureVolumeLab();
      dockerd = JSON.parse(readFileSync(`${lab.dir}/pids.json`, 'utf8')).dockerd?.pid;
      assert.ok(dockerd, 'the lab records no dockerd PID');
      assert.equal(readFileSync(`/proc/${dockerd}/comm`, 'utf8').trim(), 'dockerd', `PID ${dockerd} is not the lab's dockerd`);
      server = await CodeServer.start({
        settings: {
          'vdvs.dockerHosts': [{ id: 't18-down', name: HOST_NAME, endpoint: lab.docker.host }],
          'vdvs.requestTimeoutSeconds': TIMEOUT_S,
        },
      });
      wb = await Workbench.open(server, { extensionDevelopmentPath: REPO_ROOT, viewport: { width: 1200, height: 800 } });
    },
    { timeout: 240_000 },
  );

  after(async () => {
    if (paused) signal('SIGCONT'); // never leave the lab's daemon paused
    await wb?.close();
    await server?.stop();
  });

  const plugin = () => treeRow(wb, VIEW, 'vsphere plugin');
  const error = () =>
    wb
      .viewPane(VIEW)
      .locator('.monaco-list-row', { has: wb.page.locator('.label-name', { hasText: /stopped answering|not reachable|timed out/ }) })
      .first();

  it('shows the error node within the timeout of a paused dockerd, and the host again soon after it resumes', async () => {
    await wb.openViewContainer(CONTAINER);
    await focusView(wb, VIEW, ['ESXi Hosts', 'Volumes']);
    await plugin().waitFor({ state: 'visible', timeout: T });

    const stopped = Date.now();
    signal('SIGSTOP');
    await error().waitFor({ state: 'visible', timeout: T });
    const down = Date.now() - stopped;
    await wb.screenshot('docker-down-01-unreachable', wb.viewPane(VIEW));

    const resumed = Date.now();
    signal('SIGCONT');
    await plugin().waitFor({ state: 'visible', timeout: T });
    const back = Date.now() - resumed;
    await wb.screenshot('docker-down-02-back', wb.viewPane(VIEW));
    console.log(`# dockerd paused → error node: ${down} ms; resumed → host again: ${back} ms`);
    assert.ok(down <= TIMEOUT_S * 1000 + RENDER_MS, `the error node took ${down} ms (timeout ${TIMEOUT_S} s)`);
    assert.ok(back <= 15_000, `the host took ${back} ms to come back`);
  });
});
