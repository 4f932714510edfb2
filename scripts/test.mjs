#!/usr/bin/env node
// `npm test`: every test stage in order, stopping at the first failure. Runs scripts/setup.sh first
// when the set-up is missing (a fresh machine: `npm test` alone sets up and tests).
//   node scripts/test.mjs [stage ...]   stages: build, lint, unit, integration, vscode, ui (default: all)
// Starts the lab (lab/lab.mjs) for the stages that need it when it is not running, and stops it
// again at the end only if this run started it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureSetup } from './ensureSetup.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
ensureSetup(root);
const ALL = ['build', 'lint', 'unit', 'integration', 'vscode', 'ui'];
const NEEDS_LAB = new Set(['integration', 'vscode', 'ui']);
const asked = process.argv.slice(2);
const stages = asked.length ? asked : ALL;
for (const s of stages) if (!ALL.includes(s)) fail(`unknown stage '${s}' (stages: ${ALL.join(', ')})`);

function run(cmd, args, opts = {}) {
  const started = Date.now();
  console.log(`\n$ ${[cmd, ...args].join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  console.log(`  (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return r.status === 0;
}
function fail(msg) {
  console.error(`test: ${msg}`);
  process.exit(1);
}
const node = process.execPath;
const tsc = join(root, 'node_modules/typescript/bin/tsc');

const STAGES = {
  // typecheck of sources and tests, the bundle, and the compiled tests in out/
  build: () => run(node, [tsc, '-p', 'tsconfig.json', '--noEmit']) && run(node, ['esbuild.mjs']) && run(node, [tsc, '-p', 'tsconfig.test.json']),
  // typescript-eslint (eslint.config.mjs) and the formatter's check, over src/, test/ and bench/
  lint: () => run(node, [join(root, 'node_modules/eslint/bin/eslint.js'), 'src', 'test', 'bench']) && run(node, [join(root, 'node_modules/prettier/bin/prettier.cjs'), '--check', 'src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts']),
  unit: () => run(node, ['--test', 'out/test/unit/']),
  integration: () => run(node, ['--test', '--test-concurrency=1', 'out/test/integration/']),
  vscode: () => run(node, ['scripts/run-vscode-tests.mjs']),
  ui: () => run(node, ['--test', '--test-concurrency=1', '--test-reporter=spec', 'out/test/ui/']),
};

let startedLab = false;
let ok = true;
try {
  if (!stages.includes('build') && !existsSync(join(root, 'out'))) ok = STAGES.build();
  for (const stage of stages) {
    if (!ok) break;
    if (NEEDS_LAB.has(stage) && !startedLab && !labRunning()) {
      ok = run(node, ['lab/lab.mjs', 'start']);
      startedLab = ok;
      if (!ok) break;
    }
    console.log(`\n=== ${stage}`);
    ok = STAGES[stage]();
  }
} finally {
  if (startedLab) run(node, ['lab/lab.mjs', 'stop']);
}
console.log(ok ? '\nall test stages passed' : '\na test stage failed');
process.exit(ok ? 0 : 1);

function labRunning() {
  return spawnSync(node, ['lab/lab.mjs', 'status', '--quiet'], { cwd: root }).status === 0;
}
