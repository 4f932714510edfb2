// The packaged extension: `npm run package` builds the .vsix, code-server installs it with
// --install-extension (as a user would), and a workbench without any development path shows the
// container and its views and writes "activated" to the extension's log channel.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CodeServer, provisionCodeServer, REPO_ROOT, Workbench } from './harness';

const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'));
const EXTENSION_ID = `${manifest.publisher}.${manifest.name}`;
const VSIX = join(REPO_ROOT, 'dist', `${manifest.name}.vsix`);

describe('the packaged .vsix', { timeout: 300_000 }, () => {
  let server: CodeServer;
  let wb: Workbench;

  before(
    async () => {
      server = await CodeServer.start();
    },
    { timeout: 120_000 },
  );

  after(async () => {
    await wb?.close();
    await server?.stop();
  });

  it('is built by npm run package, offline', () => {
    const r = spawnSync('npm', ['run', 'package'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 180_000 });
    assert.equal(r.status, 0, `npm run package failed:\n${r.stdout}\n${r.stderr}`);
    assert.ok(existsSync(VSIX), `${VSIX} was not written`);
    const size = statSync(VSIX).size;
    assert.ok(size > 100_000 && size < 5_000_000, `unexpected .vsix size ${size}`);
    // the bundle holds the libraries; sources, tests, the lab and node_modules stay out
    const list = unzip('print("\\n".join(z.namelist()))').split('\n');
    assert.ok(list.includes('extension/dist/extension.js'), 'dist/extension.js is packaged');
    assert.ok(list.includes('extension/media/walkthrough/01-esxi-host.md'), 'the walkthrough pages are packaged');
    const leaked = list.filter((f) => /^extension\/(src|test|lab|node_modules|out|bench|scripts)\//.test(f));
    assert.deepEqual(leaked, [], 'nothing of the development tree is packaged');
    // no public home to point at: the README's images stay relative and ship inside the .vsix (vsce stores it as readme.md)
    const images = [...unzip('sys.stdout.write(z.read("extension/readme.md").decode())').matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)].map(
      (m) => m[1],
    );
    assert.ok(images.length > 0, 'the packaged README shows the tour screenshots');
    for (const src of images) assert.ok(list.includes(`extension/${src}`), `README image ${src} is relative and packaged`);
  });

  it('installs into code-server with --install-extension and activates', async () => {
    assert.ok(existsSync(VSIX), 'the previous test builds the .vsix');
    const install = spawnSync(
      process.execPath,
      [
        provisionCodeServer(),
        '--install-extension',
        VSIX,
        '--extensions-dir',
        join(server.tmp, 'extensions'),
        '--user-data-dir',
        join(server.tmp, 'user-data'),
      ],
      {
        encoding: 'utf8',
        timeout: 120_000,
        env: { ...process.env, HOME: join(server.tmp, 'home') },
      },
    );
    assert.equal(install.status, 0, `--install-extension failed:\n${install.stdout}\n${install.stderr}`);
    assert.match(install.stdout, /was successfully installed/i);
    assert.ok(
      existsSync(join(server.tmp, 'extensions', `${EXTENSION_ID}-${manifest.version}`, 'dist', 'extension.js')),
      'installed into the extensions dir',
    );

    wb = await Workbench.open(server); // no extensionDevelopmentPath: only the installed extension
    await wb.openViewContainer('vSphere Docker Volumes');
    for (const view of manifest.contributes.views.vdvs as { name: string }[]) {
      await wb.viewPane(view.name).waitFor({ state: 'visible', timeout: 30_000 });
    }
    // the LogOutputChannel's file in the user-data logs says so (see src/extension.ts)
    const deadline = Date.now() + 60_000;
    let log = '';
    while (!/activated \(/.test(log) && Date.now() < deadline) {
      log = Object.values(server.logFiles(/vSphere Docker Volumes\.log$/)).join('\n');
      if (!/activated \(/.test(log)) await wb.page.waitForTimeout(250); // polling interval of the condition above
    }
    assert.match(log, new RegExp(`activated \\(${manifest.version.replace(/\./g, '\\.')}\\)`), 'the log channel says activated');
    const exthost = Object.values(server.logFiles(/remoteexthost\.log$/)).join('\n');
    assert.doesNotMatch(exthost, new RegExp(`Activating extension '?${EXTENSION_ID.replace('.', '\\.')}'? failed`, 'i'));
    await wb.screenshot('vsix-installed');
  });
});

/** Runs python3 `code` with `z` = the .vsix as a zipfile.ZipFile; returns its stdout. */
function unzip(code: string): string {
  return spawnSync('python3', ['-c', `import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); ${code}`, VSIX], { encoding: 'utf8' }).stdout;
}
