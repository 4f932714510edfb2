// Runs inside the extension host as the extensionTestsPath of bench/activation.ts: activates each
// extension listed in $VDVS_BENCH_DIR/order.json (ids, in that order) through the API, timing
// `activate()` (the bundle's require + its activate function, as VS Code runs them) and listing the
// modules that entered the require cache meanwhile. Writes $VDVS_BENCH_DIR/samples.json.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';

export interface ActivationSample {
  id: string;
  extensionPath: string;
  wasActive: boolean;
  /** ext.activate(): loading the main module plus running its activate(). */
  ms: number;
  /** Of which: require() of the main module, timed by a separate require just before. */
  requireMs: number;
  modules: string[];
  /** Bytes of the files behind `modules`. */
  bytes: number;
  error?: string;
}

export async function run(): Promise<void> {
  const dir = process.env.VDVS_BENCH_DIR;
  if (!dir) throw new Error('VDVS_BENCH_DIR is not set');
  const ids: string[] = JSON.parse(readFileSync(join(dir, 'order.json'), 'utf8'));
  // let the editor finish its own start-up work (eager and onStartupFinished extensions) first
  await new Promise((r) => setTimeout(r, Number(process.env.VDVS_BENCH_SETTLE_MS ?? 3000)));
  const samples: ActivationSample[] = [];
  for (const id of ids) {
    const ext = vscode.extensions.getExtension(id);
    if (!ext) throw new Error(`extension ${id} is not loaded`);
    const before = new Set(Object.keys(require.cache));
    const wasActive = ext.isActive;
    let error: string | undefined;
    const t0 = performance.now();
    let t1 = t0;
    try {
      // Node's module cache is the one the extension host loads the main module through, so this
      // require splits the cost: module loading here, activate() itself in ext.activate() below.
      const main = ext.packageJSON.main as string | undefined;
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- a timed CommonJS load is what this measures
      if (main) require(require.resolve(join(ext.extensionPath, main)));
      t1 = performance.now();
      await ext.activate();
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    const ms = performance.now() - t0;
    const requireMs = t1 - t0;
    const modules = Object.keys(require.cache).filter((m) => !before.has(m));
    const bytes = modules.reduce((n, m) => n + statSync(m).size, 0);
    samples.push({ id, extensionPath: ext.extensionPath, wasActive, ms, requireMs, modules, bytes, error });
  }
  writeFileSync(join(dir, 'samples.json'), JSON.stringify({ vscode: vscode.version, samples }, null, 2));
}
