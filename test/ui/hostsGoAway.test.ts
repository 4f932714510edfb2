// UI: a Docker daemon or an ESXi host that goes away shows as unreachable within
// vdvs.requestTimeoutSeconds, and comes back within seconds of its return (issue 18). The lab's own
// dockerd and ESXi vcsim (PIDs from the lab's pids.json, checked by name) are paused with SIGSTOP, the
// harder case: the socket stays open and silent, so only the liveness ping notices; SIGCONT brings them
// back. The lab is wired in as `npm run try` does. Screenshots: screenshots/docker-down-*.png.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Locator } from 'playwright-core';
import { ensureVolumeLab, VolumeLab } from '../fixtures/volumeLab';
import { CodeServer, REPO_ROOT, Workbench } from './harness';
import { expandRow, focusView, treeRow } from './sideBar';

const CONTAINER = 'vSphere Docker Volumes';
const TIMEOUT_S = 10;
/** The view has to render what the extension knows: a little on top of the timeout on 2 loaded cores. */
const RENDER_MS = 2_000;
const T = 90_000;

describe('Hosts that go away and come back', { timeout: 400_000 }, () => {
  let lab: VolumeLab;
  let server: CodeServer;
  let wb: Workbench;
  const pids: Record<string, number> = {};
  const paused = new Set<number>();
  /** The lab's own process `name`, checked by its command name before any signal. */
  const labPid = (name: string, comm: RegExp): number => {
    const pid = JSON.parse(readFileSync(`${lab.dir}/pids.json`, 'utf8'))[name]?.pid as number | undefined;
    assert.ok(pid, `the lab records no ${name} PID`);
    assert.match(readFileSync(`/proc/${pid}/comm`, 'utf8').trim(), comm, `PID ${pid} is not the lab's ${name}`);
    return pid;
  };
  const signal = (pid: number, sig: 'SIGSTOP' | 'SIGCONT') => {
    process.kill(pid, sig);
    if (sig === 'SIGSTOP') paused.add(pid);
    else paused.delete(pid);
  };
  /** Pauses `pid` until `gone` shows, resumes it until `back` shows; returns both times in ms. */
  const pauseAndResume = async (view: string, pid: number, gone: () => Locator, back: () => Locator, shot: string) => {
    const stopped = Date.now();
    signal(pid, 'SIGSTOP');
    await gone().waitFor({ state: 'visible', timeout: T });
    const down = Date.now() - stopped;
    await wb.screenshot(`${shot}-01-unreachable`, wb.viewPane(view));
    const resumed = Date.now();
    signal(pid, 'SIGCONT');
    await back().waitFor({ state: 'visible', timeout: T });
    const up = Date.now() - resumed;
    await wb.screenshot(`${shot}-02-back`, wb.viewPane(view));
    return { down, up };
  };

  before(
    async () => {
      lab = await ensureVolumeLab();
      pids.dockerd = labPid('dockerd', /^dockerd$/);
      pids.esx = labPid('vcsim-esx', /^vcsim/);
      server = await CodeServer.start({
        env: { VDVS_LAB_DIR: lab.dir, VDVS_LAB_CONNECT: '1' },
        settings: { 'vdvs.requestTimeoutSeconds': TIMEOUT_S },
      });
      wb = await Workbench.open(server, { extensionDevelopmentPath: REPO_ROOT, viewport: { width: 1200, height: 800 } });
    },
    { timeout: 240_000 },
  );

  after(async () => {
    for (const pid of paused) signal(pid, 'SIGCONT'); // never leave the lab's processes paused
    await wb?.close();
    await server?.stop();
  });

  const rowWith = (view: string, text: RegExp) =>
    wb
      .viewPane(view)
      .locator('.monaco-list-row', { has: wb.page.locator('.label-name', { hasText: text }) })
      .first();
  const within = (ms: number, what: string, limit: number) => assert.ok(ms <= limit, `${what} took ${ms} ms (limit ${limit} ms)`);

  it('Docker Hosts: the error node within the timeout of a paused dockerd, the host again soon after it resumes', async () => {
    await wb.openViewContainer(CONTAINER);
    await focusView(wb, 'Docker Hosts', ['ESXi Hosts', 'Volumes']);
    const plugin = () => treeRow(wb, 'Docker Hosts', 'vsphere plugin');
    await plugin().waitFor({ state: 'visible', timeout: T });
    const { down, up } = await pauseAndResume(
      'Docker Hosts',
      pids.dockerd,
      () => rowWith('Docker Hosts', /stopped answering|not reachable|did not answer/),
      plugin,
      'docker-down',
    );
    console.log(`# dockerd paused -> error node: ${down} ms; resumed -> host again: ${up} ms`);
    within(down, 'the error node', TIMEOUT_S * 1000 + RENDER_MS);
    within(up, 'the host coming back', 15_000);
  });

  it('ESXi Hosts: the error node within the timeout of a paused ESXi host, its datastores again soon after', async () => {
    await focusView(wb, 'ESXi Hosts', ['Docker Hosts', 'Volumes']);
    await expandRow(wb, 'ESXi Hosts', 'lab ESXi', 'Datastores', T);
    const { down, up } = await pauseAndResume(
      'ESXi Hosts',
      pids.esx,
      () => rowWith('ESXi Hosts', /did not answer|not reachable|ECONNREFUSED|stopped answering/),
      () => treeRow(wb, 'ESXi Hosts', 'Datastores'),
      'esxi-down',
    );
    console.log(`# ESXi vcsim paused -> error node: ${down} ms; resumed -> datastores again: ${up} ms`);
    within(down, 'the error node', TIMEOUT_S * 1000 + RENDER_MS);
    within(up, 'the host coming back', 15_000);
  });
});
