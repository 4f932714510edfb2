/**
 * Activation cost of the extension inside a real VS Code (code-server 4.100.3, see test/ui/harness.ts),
 * against a minimal extension (bench/fixtures/minimal-extension) measured in the same editor session:
 * time of `activate()` as the extension API runs it (loading the bundle + the activate function),
 * the modules that entered the extension host's require cache meanwhile, and the bundle size.
 *   npm run build && npx tsc -p tsconfig.test.json && node out/bench/activation.js [--rounds N]
 * Each measurement is a fresh workbench window (so a fresh extension host) activating one of the
 * two, alternating; each round measures both; medians are printed. Exits 1 when activation fails or
 * loads one of the dist/vendor libraries or the features bundle.
 * Then the first paint of the three views: from the click on the activity-bar icon (which activates the
 * extension) until each view shows its content (rows or welcome view), in a fresh window each time, for
 * the extension as built (features loaded by the first getChildren) and for the same bundles loaded
 * eagerly at activation (a copy whose main requires dist/features.js first: the design before the
 * activation shell), alternating.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { ActivationSample } from './probes/activationProbe';
import { Chromium, CodeServer, REPO_ROOT, Workbench } from '../test/ui/harness';
import { arg, median } from './lib/benchArgs';

const REAL_ID = 'vdvs-tools.vsphere-docker-volumes';
const MINIMAL_DIR = join(REPO_ROOT, 'bench', 'fixtures', 'minimal-extension');
const MINIMAL_ID = 'vdvs-bench.minimal-extension';
const PROBE = join(REPO_ROOT, 'out', 'bench', 'probes', 'activationProbe.js');
const ROUND_TIMEOUT_MS = 180_000;

const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
const size = (f: string) => (existsSync(f) ? statSync(f).size : 0);
function dirSize(dir: string, filter: (f: string) => boolean): number {
  let total = 0;
  for (const e of readdirSync(dir, { recursive: true }) as string[]) {
    const p = join(dir, e);
    if (filter(p) && statSync(p).isFile()) total += statSync(p).size;
  }
  return total;
}

interface Probed {
  vscode: string;
  samples: ActivationSample[];
}

async function round(server: CodeServer, browser: Chromium, order: string[], dir: string): Promise<Probed> {
  const outFile = join(dir, 'samples.json');
  writeFileSync(join(dir, 'order.json'), JSON.stringify(order));
  let wb: Workbench | undefined;
  try {
    const code = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no result within ${ROUND_TIMEOUT_MS / 1000} s`)), ROUND_TIMEOUT_MS);
      Workbench.open(server, {
        extensionDevelopmentPath: REPO_ROOT,
        extensionTestsPath: PROBE,
        browser,
        waitReady: false,
        onExit: (c) => {
          clearTimeout(timer);
          resolve(c);
        },
      }).then((w) => (wb = w), reject);
    });
    if (code !== 0) throw new Error(`the activation probe failed (exit ${code})`);
    return JSON.parse(readFileSync(outFile, 'utf8'));
  } finally {
    await wb?.close();
    rmSync(outFile, { force: true });
  }
}

async function main(): Promise<void> {
  if (!existsSync(PROBE)) throw new Error(`${PROBE} is missing: run \`npx tsc -p tsconfig.test.json\``);
  if (!existsSync(join(REPO_ROOT, 'dist', 'extension.js'))) throw new Error('dist/extension.js is missing: run `npm run build`');
  const rounds = arg('rounds') ?? 3;
  const paintRounds = arg('paint-rounds') ?? 3;
  const scratch = mkdtempSync(join(tmpdir(), 'vdvs-bench-activation-'));
  // the minimal extension is installed as a user extension: one window loads only one development path
  const server = await CodeServer.start({ env: { VDVS_BENCH_DIR: scratch }, installExtensions: [MINIMAL_DIR] });
  const samples: ActivationSample[] = [];
  const paints: Record<Variant, Record<string, number>[]> = { lazy: [], eager: [] };
  let vscodeVersion = '?';
  let browser: Chromium | undefined;
  try {
    browser = await Chromium.launch();
    for (let i = 0; i < rounds; i++) {
      const got: ActivationSample[] = [];
      for (const id of i % 2 === 0 ? [MINIMAL_ID, REAL_ID] : [REAL_ID, MINIMAL_ID]) {
        const probed = await round(server, browser, [id], scratch);
        vscodeVersion = probed.vscode;
        got.push(...probed.samples);
      }
      for (const s of got) {
        if (s.wasActive) throw new Error(`${s.id} was already active before the probe: not a clean measurement`);
        if (s.error) throw new Error(`${s.id} failed to activate: ${s.error}`);
      }
      samples.push(...got);
      process.stderr.write(`round ${i + 1}/${rounds}: ${got.map((s) => `${s.id.split('.')[1]} ${s.ms.toFixed(1)} ms`).join(', ')}\n`);
    }
    const eager = eagerCopy(scratch);
    for (let i = 0; i < paintRounds; i++) {
      for (const [variant, path] of (i % 2 === 0
        ? [
            ['lazy', REPO_ROOT],
            ['eager', eager],
          ]
        : [
            ['eager', eager],
            ['lazy', REPO_ROOT],
          ]) as [Variant, string][]) {
        const painted = await firstPaint(server, browser, path);
        paints[variant].push(painted);
        process.stderr.write(`paint round ${i + 1}/${paintRounds}: ${variant} ${JSON.stringify(painted)}\n`);
      }
    }
  } finally {
    await browser?.close();
    await server.stop();
    rmSync(scratch, { recursive: true, force: true });
  }

  const of = (id: string) => samples.filter((s) => s.id === id);
  const real = of(REAL_ID);
  const minimal = of(MINIMAL_ID);
  const realMs = median(real.map((s) => s.ms));
  const minMs = median(minimal.map((s) => s.ms));
  const realModules = [...new Set(real.flatMap((s) => s.modules))];
  const minModules = [...new Set(minimal.flatMap((s) => s.modules))];
  const loadedBytes = (of: ActivationSample[]) => median(of.map((s) => s.bytes));
  const realBundle = size(join(REPO_ROOT, 'dist', 'extension.js'));
  const minBundle = size(join(MINIMAL_DIR, 'extension.js'));
  const distAll = dirSize(join(REPO_ROOT, 'dist'), (f) => f.endsWith('.js'));
  const heavy = realModules.filter((m) => lazyPattern().test(m));
  const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(1)}×` : 'n/a');
  const rel = (m: string) => (m.startsWith(REPO_ROOT) ? relative(REPO_ROOT, m) : m);

  console.log(`activation in code-server (VS Code ${vscodeVersion}), ${rounds} round(s), medians`);
  console.log(
    `  ${'extension'.padEnd(26)} ${'activate()'.padStart(11)} ${'modules'.padStart(8)} ${'loaded'.padStart(11)} ${'bundle'.padStart(11)}`,
  );
  console.log(
    `  ${'vsphere-docker-volumes'.padEnd(26)} ${`${realMs.toFixed(1)} ms`.padStart(11)} ${String(realModules.length).padStart(8)} ${kib(loadedBytes(real)).padStart(11)} ${kib(realBundle).padStart(11)}`,
  );
  console.log(
    `  ${'minimal-extension'.padEnd(26)} ${`${minMs.toFixed(1)} ms`.padStart(11)} ${String(minModules.length).padStart(8)} ${kib(loadedBytes(minimal)).padStart(11)} ${kib(minBundle).padStart(11)}`,
  );
  console.log(
    `  ${'ratio (ours / minimal)'.padEnd(26)} ${ratio(realMs, minMs).padStart(11)} ${ratio(realModules.length, minModules.length).padStart(8)} ${ratio(loadedBytes(real), loadedBytes(minimal)).padStart(11)} ${ratio(realBundle, minBundle).padStart(11)}`,
  );
  const reqMs = (of: ActivationSample[]) => median(of.map((s) => s.requireMs));
  console.log(
    `  of which require() of the main module: ours ${reqMs(real).toFixed(1)} ms, minimal ${reqMs(minimal).toFixed(1)} ms; activate() itself: ours ${median(real.map((s) => s.ms - s.requireMs)).toFixed(1)} ms, minimal ${median(minimal.map((s) => s.ms - s.requireMs)).toFixed(1)} ms`,
  );
  const min = (of: ActivationSample[]) => Math.min(...of.map((s) => s.ms));
  console.log(
    `  fastest activate(): ours ${min(real).toFixed(1)} ms, minimal ${min(minimal).toFixed(1)} ms (${ratio(min(real), min(minimal))})`,
  );
  console.log(
    `  all samples (ms): ours ${real.map((s) => s.ms.toFixed(1)).join(', ')}; minimal ${minimal.map((s) => s.ms.toFixed(1)).join(', ')}`,
  );
  console.log(`  modules loaded by activation: ${realModules.map(rel).join(', ') || 'none'}`);
  console.log(
    `  what dist/extension.js holds (source bytes by origin, from its source map): ${bundleOrigins(join(REPO_ROOT, 'dist', 'extension.js.map'))}`,
  );
  console.log(`  dist/*.js in total (lazy vendor bundles included): ${kib(distAll)}`);
  console.log(
    `  lazy libraries (dist/vendor: ${lazyNames().join(', ')}) loaded by activation: ${heavy.length ? heavy.map(rel).join(', ') : 'none'}`,
  );
  const features = realModules.filter((m) => m.endsWith(join('dist', 'features.js')));
  console.log(`  the features bundle (dist/features.js) loaded by activation: ${features.length ? 'yes' : 'no'}`);
  if (heavy.length || features.length) process.exitCode = 1;

  console.log(`first paint of each view (click on the activity-bar icon until rows or welcome show), ${paintRounds} round(s), medians`);
  for (const view of VIEW_NAMES) {
    const lazy = median(paints.lazy.map((p) => p[view]));
    const eagerMs = median(paints.eager.map((p) => p[view]));
    console.log(
      `  ${view.padEnd(14)} as built ${lazy.toFixed(0).padStart(5)} ms, features loaded at activation ${eagerMs.toFixed(0).padStart(5)} ms (${ratio(lazy, eagerMs)})`,
    );
  }
}

type Variant = 'lazy' | 'eager';
const VIEW_NAMES = ['ESXi Hosts', 'Docker Hosts', 'Volumes'];
const CONTAINER = 'vSphere Docker Volumes';

/** The extension with the same bundles, its main loading dist/features.js before the shell activates. */
function eagerCopy(scratch: string): string {
  const dir = join(scratch, 'eager-extension');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  for (const d of ['dist', 'media', 'resources']) symlinkSync(join(REPO_ROOT, d), join(dir, d));
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { main: string };
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ ...pkg, main: './eager.js' }));
  // node resolves the symlink, so the shell's own require('./features.js') finds this module in the cache
  writeFileSync(
    join(dir, 'eager.js'),
    "const shell = require('./dist/extension.js');\nexports.activate = (c) => { require('./dist/features.js'); return shell.activate(c); };\nexports.deactivate = shell.deactivate;\n",
  );
  return dir;
}

/** Milliseconds from the click on the container's icon until each view of it shows rows or its welcome view. */
async function firstPaint(server: CodeServer, browser: Chromium, extensionPath: string): Promise<Record<string, number>> {
  const wb = await Workbench.open(server, { extensionDevelopmentPath: extensionPath, browser });
  try {
    const item = wb.activityBarItem(CONTAINER);
    await item.waitFor({ state: 'visible', timeout: 30_000 });
    if ((await item.getAttribute('aria-selected')) === 'true' || (await item.getAttribute('aria-checked')) === 'true')
      throw new Error('the view container was open before the click: not a clean measurement');
    // let the editor finish its own start-up work first, as the activation rounds do
    await new Promise((r) => setTimeout(r, 3000));
    // in the page (a string: the bench is compiled without the DOM library): record when each pane first shows content
    await wb.page.evaluate(`(() => {
      const names = ${JSON.stringify(VIEW_NAMES)};
      window.vdvsPaint = {};
      const t0 = performance.now();
      const look = () => {
        for (const pane of document.querySelectorAll('.part.sidebar .pane')) {
          const name = pane.querySelector('.pane-header h3')?.textContent?.trim() ?? '';
          if (!names.includes(name) || name in window.vdvsPaint) continue;
          const content = pane.querySelector('.welcome-view-content, .monaco-list-row');
          if (content && content.offsetParent !== null) window.vdvsPaint[name] = performance.now() - t0;
        }
      };
      new MutationObserver(look).observe(document.body, { subtree: true, childList: true, attributes: true });
    })()`);
    await item.click();
    await wb.page.waitForFunction(`Object.keys(window.vdvsPaint).length >= ${VIEW_NAMES.length}`, undefined, {
      timeout: 60_000,
      polling: 50,
    });
    const painted = await wb.page.evaluate<Record<string, number>>('window.vdvsPaint');
    // leave the Explorer showing, so that the next window does not restore this container already open
    await wb.activityBarItem('Explorer').click();
    await new Promise((r) => setTimeout(r, 1500));
    return painted;
  } finally {
    await wb.close();
  }
}

/** The libraries esbuild.mjs bundles separately under dist/vendor/, to be loaded on first use only. */
function lazyNames(): string[] {
  return readdirSync(join(REPO_ROOT, 'dist', 'vendor'))
    .filter((f) => f.endsWith('.js'))
    .map((f) => f.slice(0, -3));
}

function lazyPattern(): RegExp {
  const alt = lazyNames().join('|');
  return new RegExp(`[\\\\/](node_modules[\\\\/](${alt})[\\\\/]|vendor[\\\\/](${alt})\\.js$)`);
}

/** Sizes of the sources behind a bundle, grouped by npm package (or `src`), largest first. */
function bundleOrigins(mapFile: string): string {
  if (!existsSync(mapFile)) return 'no source map';
  const map = JSON.parse(readFileSync(mapFile, 'utf8')) as { sources: string[]; sourcesContent?: (string | null)[] };
  const by = new Map<string, number>();
  map.sources.forEach((src, i) => {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(src);
    const key = m ? m[1] : src.includes('src/') ? 'src' : 'other';
    by.set(key, (by.get(key) ?? 0) + (map.sourcesContent?.[i]?.length ?? 0));
  });
  return [...by]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([k, n]) => `${k} ${kib(n)}`)
    .join(', ');
}

main().catch((e) => {
  console.error(`bench/activation: ${e instanceof Error ? e.message : e}`);
  process.exitCode = 1;
});
