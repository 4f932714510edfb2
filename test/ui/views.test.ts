// UI: the activity-bar container and its three views, as a user first sees them.
// Screenshots land in screenshots/ (git-ignored). Run: node --test out/test/ui/
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CodeServer, REPO_ROOT, Workbench } from './harness';

const EXTENSION_ID = 'vdvs-tools.vsphere-docker-volumes';
const CONTAINER = 'vSphere Docker Volumes';
const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'));
const commandTitles = new Map<string, string>(
  manifest.contributes.commands.map((c: { command: string; title: string }) => [c.command, c.title]),
);

/** What package.json's viewsWelcome promises for a view: its buttons' labels and a line of its text. */
function promisedWelcome(viewId: string): { buttons: string[]; firstWords: string } {
  const entry = manifest.contributes.viewsWelcome.find((w: { view: string }) => w.view === viewId);
  assert.ok(entry, `package.json has no viewsWelcome for ${viewId}`);
  const lines: string[] = entry.contents.split('\n');
  const buttons = lines.map((l) => /^\[([^\]]+)\]\((?:command:|https?:)/.exec(l.trim())?.[1]).filter((b): b is string => !!b);
  const text = lines.find((l) => !l.trim().startsWith('['))!;
  return { buttons, firstWords: text.split(/\s+/).slice(0, 5).join(' ') };
}

describe('vSphere Docker Volumes views', { timeout: 240_000 }, () => {
  let server: CodeServer;
  let wb: Workbench;

  before(
    async () => {
      server = await CodeServer.start();
      wb = await Workbench.open(server, { extensionDevelopmentPath: REPO_ROOT });
    },
    { timeout: 180_000 },
  );

  after(async () => {
    await wb?.close();
    await server?.stop();
  });

  it('shows the container in the activity bar and opens it on click', async () => {
    await wb.screenshot('00-workbench');
    await wb.openViewContainer(CONTAINER);
    await wb.page.locator('.part.sidebar').waitFor({ state: 'visible' });
    await wb.waitSidebarIdle();
    const title = await wb.page.locator('.part.sidebar .composite.title').first().innerText();
    assert.match(title, /vSphere Docker Volumes/i);
    await wb.screenshot('01-container');
  });

  for (const view of manifest.contributes.views.vdvs as { id: string; name: string }[]) {
    it(`shows the ${view.name} view with its welcome content`, async () => {
      const promised = promisedWelcome(view.id);
      const pane = wb.viewPane(view.name);
      await pane.waitFor({ state: 'visible', timeout: 15_000 });
      const welcome = await wb.welcome(view.name);
      assert.ok(welcome.text.includes(promised.firstWords), `${view.name}: "${promised.firstWords}" not in "${welcome.text}"`);
      assert.deepEqual(welcome.buttons, promised.buttons, `${view.name}: buttons`);
      await wb.screenshot(`02-view-${view.id}`, pane);
    });
  }

  it('has activated the extension (its commands run from the palette)', async () => {
    const exthost = Object.values(server.logFiles(/remoteexthost\.log$/)).join('\n');
    const id = EXTENSION_ID.replace('.', '\\.');
    const failure = new RegExp(`Activating extension '?${id}'? failed.*\\n.*`, 'i').exec(exthost);
    assert.equal(failure, null, `the extension failed to activate: ${failure?.[0]}`);
    assert.match(exthost, new RegExp(`_doActivateExtension ${id}`), 'the extension host log shows no activation');

    await wb.runCommand(`vDVS: ${commandTitles.get('vdvs.showLog')}`);
    // the output panel opens on the extension's log channel; a failed activation would instead
    // show "command 'vdvs.showLog' not found"
    const panel = wb.page.locator('.part.panel');
    const errorToast = wb.page.locator('.notifications-toasts .notification-list-item-message', { hasText: /not found|failed/i });
    const shown = (l: typeof panel) => l.waitFor({ state: 'visible', timeout: 15_000 }).catch(() => undefined);
    await Promise.race([shown(panel), shown(errorToast.first())]);
    assert.deepEqual(await errorToast.allInnerTexts(), [], 'error notifications');
    const channel = panel.locator('select.monaco-select-box').first();
    await channel.waitFor({ state: 'attached', timeout: 15_000 });
    const selected = await channel.evaluate(
      (e) => (e as unknown as { selectedOptions: { text: string }[] }).selectedOptions[0]?.text ?? '',
    );
    assert.match(selected, /vSphere Docker Volumes/, 'the output panel shows the extension log channel');
    await wb.screenshot('03-show-log');
  });
});
