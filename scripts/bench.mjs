#!/usr/bin/env node
// `npm run bench`: builds the bundle, compiles tests and benches, then runs each out/bench/*.js
// (or only those named) one after another, printing their results. Never part of `npm test`.
//   node scripts/bench.mjs [name ...] [-- args for the benches]   e.g.  npm run bench -- activation -- --rounds 5
// Benches other than those in NO_LAB use the local lab: it is started when not running and
// stopped again at the end if this run started it.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const node = process.execPath;
const NO_LAB = new Set(['activation']);
const sep = process.argv.indexOf('--', 2);
const names = (sep > 0 ? process.argv.slice(2, sep) : process.argv.slice(2)).map((n) => n.replace(/\.(ts|js)$/, ''));
const benchArgs = sep > 0 ? process.argv.slice(sep + 1) : [];

function run(cmd, args, label = [cmd, ...args].join(' ')) {
  const t0 = Date.now();
  console.log(`\n$ ${label}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  console.log(`  (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  return r.status === 0;
}

if (!run(node, ['esbuild.mjs']) || !run(node, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.test.json'], 'tsc -p tsconfig.test.json')) {
  console.error('bench: build failed');
  process.exit(1);
}
const dir = join(root, 'out', 'bench');
const all = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.js')).map((f) => f.slice(0, -3)).sort() : [];
for (const n of names) if (!all.includes(n)) {
  console.error(`bench: no bench '${n}' (have: ${all.join(', ') || 'none'})`);
  process.exit(1);
}
const selected = names.length ? names : all;
let startedLab = false;
const failed = [];
try {
  for (const name of selected) {
    if (!NO_LAB.has(name) && !startedLab && spawnSync(node, ['lab/lab.mjs', 'status', '--quiet'], { cwd: root }).status !== 0) {
      if (!run(node, ['lab/lab.mjs', 'start'])) {
        failed.push(`${name} (lab did not start)`);
        continue;
      }
      startedLab = true;
    }
    console.log(`\n=== bench ${name}`);
    if (!run(node, [join('out', 'bench', `${name}.js`), ...benchArgs])) failed.push(name);
  }
} finally {
  if (startedLab) run(node, ['lab/lab.mjs', 'stop']);
}
console.log(failed.length ? `\nbench: failed: ${failed.join(', ')}` : `\nbench: ${selected.length} bench(es) done`);
process.exit(failed.length ? 1 : 0);
