import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { activateTestApi } from './extensionApi';

const EXTENSION_ID = 'vdvs-tools.vsphere-docker-volumes';
const VIEWS = ['vdvs.esxiHosts', 'vdvs.dockerHosts', 'vdvs.volumes'];
/** Libraries esbuild.mjs moves out of dist/extension.js into dist/vendor/<name>.js, loaded on first use. */
const LAZY = ['soap', 'ssh2', 'dockerode', 'fast-xml-parser', 'yauzl', 'ssh-config'];

/** Every dist/vendor bundle that exists (LAZY and any added later). */
function vendorBundles(extensionPath: string): string[] {
  return readdirSync(join(extensionPath, 'dist', 'vendor'))
    .filter((f) => f.endsWith('.js'))
    .map((f) => f.slice(0, -3));
}

/** Modules in the extension host's require cache that belong to one of the lazily loaded libraries. */
function lazyModulesLoaded(names: string[]): string[] {
  const alt = names.join('|');
  const pattern = new RegExp(`[\\\\/](?:node_modules[\\\\/](?:${alt})[\\\\/]|dist[\\\\/]vendor[\\\\/](?:${alt})\\.js$)`);
  return Object.keys(require.cache).filter((p) => pattern.test(p));
}

describe('activation', () => {
  let ext: vscode.Extension<unknown>;
  let lazyBefore: string[];
  /** Vendor libraries the test files themselves loaded (a fixture may use tar-stream): not activation's doing. */
  let loadedByTests: string[];

  before(() => {
    lazyBefore = lazyModulesLoaded(LAZY);
    const path = vscode.extensions.getExtension(EXTENSION_ID)?.extensionPath;
    loadedByTests = path ? lazyModulesLoaded(vendorBundles(path)) : [];
  });

  it('the extension is present', () => {
    const found = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(found, `${EXTENSION_ID} is not among ${vscode.extensions.all.map((e) => e.id).join(', ')}`);
    ext = found;
  });

  it('activates without error', async function () {
    this.timeout(30_000);
    await ext.activate();
    assert.equal(ext.isActive, true);
  });

  it('loads none of the vendor bundles (soap, ssh2, dockerode, fast-xml-parser, yauzl, ssh-config) during activation', () => {
    const vendor = vendorBundles(ext.extensionPath);
    assert.deepEqual(
      LAZY.filter((n) => !vendor.includes(n)),
      [],
      `dist/vendor holds only ${vendor.join(', ')}`,
    );
    assert.deepEqual(lazyBefore, [], 'lazy modules were loaded before the extension activated');
    assert.deepEqual(
      lazyModulesLoaded(vendor).filter((p) => !loadedByTests.includes(p)),
      [],
    );
    assert.ok(
      Object.keys(require.cache).some((p) => p.endsWith('extension.js') && p.includes(ext.extensionPath)),
      'the extension bundle is not in this require cache: the check above would prove nothing',
    );
  });

  for (const [bundle, entry] of [
    ['extension', 'src/extension.ts'],
    ['features', 'src/ui/features.ts'],
  ]) {
    it(`bundles no npm package into dist/${bundle}.js (its source map lists only our sources)`, () => {
      const map = JSON.parse(readFileSync(join(ext.extensionPath, 'dist', `${bundle}.js.map`), 'utf8')) as { sources: string[] };
      assert.ok(
        map.sources.some((s) => s.endsWith(entry)),
        `unexpected source map: ${map.sources.slice(0, 3).join(', ')}`,
      );
      assert.deepEqual(
        map.sources.filter((s) => s.includes('node_modules')),
        [],
      );
    });
  }

  it('the activation shell holds no feature code: dist/extension.js is built from the shell and the lazy tree only', () => {
    const map = JSON.parse(readFileSync(join(ext.extensionPath, 'dist', 'extension.js.map'), 'utf8')) as { sources: string[] };
    assert.deepEqual(map.sources.map((s) => s.replace(/^.*?src\//, 'src/')).sort(), ['src/extension.ts', 'src/ui/lazyTree.ts']);
  });

  it('has a handler for every command of package.json, and contributes every command it handles', async () => {
    const declared: string[] = (ext.packageJSON.contributes?.commands ?? []).map((c: { command: string }) => c.command);
    const api = await activateTestApi();
    assert.deepEqual([...api.commandIds].sort(), [...declared].sort());
  });

  it('registers every command of package.json', async () => {
    const declared: string[] = (ext.packageJSON.contributes?.commands ?? []).map((c: { command: string }) => c.command);
    assert.ok(declared.length > 0, 'package.json declares no commands');
    const all = new Set(await vscode.commands.getCommands(true));
    assert.deepEqual(
      declared.filter((c) => !all.has(c)),
      [],
      'declared but not registered',
    );
  });

  it('contributes the view container and its three views', async () => {
    const views = ext.packageJSON.contributes?.views?.vdvs ?? [];
    assert.deepEqual(
      views.map((v: { id: string }) => v.id),
      VIEWS,
    );
    await vscode.commands.executeCommand('workbench.view.extension.vdvs');
    const all = new Set(await vscode.commands.getCommands(true));
    for (const id of VIEWS) {
      assert.ok(all.has(`${id}.focus`), `no focus command for view ${id}: the view is not registered`);
      await vscode.commands.executeCommand(`${id}.focus`);
    }
  });

  it('runs in the editor the harness promised', () => {
    assert.ok(vscode.version.startsWith('1.'), vscode.version);
    assert.equal(ext.extensionKind, vscode.ExtensionKind.Workspace);
  });
});
