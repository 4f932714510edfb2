#!/usr/bin/env node
// Retakes the README tour (media/screenshots/workflow-*.png): the workflow UI test
// (test/ui/workflow.test.ts) runs against a clean private lab, so no other test's volumes show up in
// the pictures; the test copies its step screenshots to a temp dir, and only when it passes they
// replace the tour, re-encoded as 256-colour palette PNGs (upng-js): about half the bytes, UI text
// stays sharp. The lab is stopped (and its dir removed) at the end, whatever happened.
//
//   npm run tour        (builds the bundle and the tests first)
//
// Environment: VDVS_TOUR_LAB_DIR (default /tmp/vdvs-lab-tour); the private lab's ports default to
// 41989/41990 (vcsim), 41222 (ssh), 41500 (registry), 41376 (docker tcp) so that it runs beside the
// shared lab; the usual VDVS_LAB_*_PORT variables override them.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import UPNG from 'upng-js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const TOUR = join(root, 'media', 'screenshots');
const SHARED_LAB = '/tmp/vdvs-lab';
const labDir = resolve(process.env.VDVS_TOUR_LAB_DIR || '/tmp/vdvs-lab-tour');
if (labDir === SHARED_LAB) {
  console.error(`tour: ${labDir} is the shared lab; the tour needs a private one (VDVS_TOUR_LAB_DIR)`);
  process.exit(2);
}
const env = {
  ...process.env,
  VDVS_LAB_DIR: labDir,
  VDVS_LAB_ESX_PORT: process.env.VDVS_LAB_ESX_PORT || '41989',
  VDVS_LAB_VC_PORT: process.env.VDVS_LAB_VC_PORT || '41990',
  VDVS_LAB_SSH_PORT: process.env.VDVS_LAB_SSH_PORT || '41222',
  VDVS_LAB_REGISTRY_PORT: process.env.VDVS_LAB_REGISTRY_PORT || '41500',
  VDVS_LAB_DOCKER_TCP_PORT: process.env.VDVS_LAB_DOCKER_TCP_PORT || '41376',
};

function run(args, extraEnv = {}) {
  console.log(`\n$ ${args.join(' ')}`);
  return spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env: { ...env, ...extraEnv } }).status === 0;
}

/** The PNG re-encoded with a 256-colour palette; returns its new size. */
function toPalettePng(from, to) {
  const img = UPNG.decode(readFileSync(from));
  const png = Buffer.from(UPNG.encode(UPNG.toRGBA8(img), img.width, img.height, 256));
  writeFileSync(to, png);
  return png.length;
}

const shots = mkdtempSync(join(tmpdir(), 'vdvs-tour-'));
let ok = false;
try {
  // a clean lab: whatever an earlier run of this dir left is stopped and removed first
  ok = run(['esbuild.mjs']) && run([join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.test.json']) &&
    run(['lab/lab.mjs', 'stop', '--clean']) && run(['lab/lab.mjs', 'start']) &&
    run(['--test', '--test-reporter=spec', 'out/test/ui/workflow.test.js'], { VDVS_TOUR_DIR: shots });
} finally {
  run(['lab/lab.mjs', 'stop', '--clean']);
}
if (ok) {
  const taken = readdirSync(shots).filter((f) => /^workflow-\d+-.+\.png$/.test(f)).sort();
  for (const old of readdirSync(TOUR).filter((f) => /^workflow-.+\.png$/.test(f))) rmSync(join(TOUR, old));
  let total = 0;
  for (const f of taken) {
    const size = toPalettePng(join(shots, f), join(TOUR, f));
    total += size;
    console.log(`  ${f}  ${(size / 1024).toFixed(0)} KB`);
  }
  console.log(`tour: ${taken.length} screenshots, ${(total / 1024).toFixed(0)} KB in ${TOUR}`);
}
rmSync(shots, { recursive: true, force: true });
process.exit(ok ? 0 : 1);
