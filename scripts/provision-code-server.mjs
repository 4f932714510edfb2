#!/usr/bin/env node
// Provisions code-server 4.100.3 (= VS Code 1.100.3, the last one that runs on node 20) offline,
// i.e. from the npm registry and Debian packages only, into
//   ${VDVS_CACHE:-~/.cache/vdvs}/code-server-4.100.3
// and reuses it when its marker file (.vdvs-provisioned) is there. `--force` provisions again.
// Prints the path of the entry point (out/node/entry.js) on the last line of stdout.
//
// What a fresh Debian 12 machine (root, node 20, apt: chromium ripgrep libkrb5-dev build-essential
// python3) needs, learnt step by step:
// - `npm install code-server` runs postinstall.sh, which refuses root without --unsafe-perm and lets
//   @vscode/ripgrep download rg from GitHub (unreachable). So: install with --ignore-scripts and do
//   what postinstall.sh does by hand (lib/vscode deps, node_modules.asar link, bin script links,
//   extensions deps), with Debian's /usr/bin/rg copied where @vscode/ripgrep expects its binary.
// - Native modules are compiled by node-gyp, which needs node's headers. By default node-gyp
//   downloads them from nodejs.org (unreachable); the nodesource/Debian node package ships them in
//   /usr/include/node, so when no headers are configured we set npm_config_nodedir=/usr.
// - argon2 (node-pre-gyp) and kerberos (prebuild-install) first try to download prebuilt binaries
//   from GitHub; with npm_config_build_from_source they build at once instead of depending on how
//   the firewall fails (a dropped connection would hang). kerberos needs libkrb5-dev (krb5-config).
// - node-pty's post-install runs `npx node-gyp configure`: npx asks before fetching node-gyp unless
//   npm_config_yes=true.
// - @parcel/watcher comes with a prebuilt binary from npm (@parcel/watcher-linux-x64-glibc): it
//   needs no rebuild (its install script only builds with build_from_source=true).
// - The code-server package checks for node 20 in its postinstall; on another major version the
//   server starts but native modules built for 20 would not load: we refuse other versions.
// - npm 11 warns "install scripts not yet covered by allowScripts" but still runs them.
// Measured here (2 shared cores): cold 84-147 s (npm 20-33 s, native builds 46-86 s, depending on
// the machine's load); warm (marker present) 0.15 s.
// Everything is built in a staging directory and renamed into place at the end, so an interrupted
// run never leaves a half-provisioned cache behind, and a concurrent run simply loses the rename.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

const VERSION = '4.100.3';
const CACHE = process.env.VDVS_CACHE || join(homedir(), '.cache', 'vdvs');
const DIR = join(CACHE, `code-server-${VERSION}`);
const MARKER = '.vdvs-provisioned';
const ENTRY_REL = join('node_modules', 'code-server', 'out', 'node', 'entry.js');
const force = process.argv.includes('--force');
const t0 = Date.now();

const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;
function log(msg) {
  console.error(`provision-code-server: ${msg}`);
}
function die(msg) {
  log(`ERROR: ${msg}`);
  process.exit(1);
}

if (!force && existsSync(join(DIR, MARKER)) && existsSync(join(DIR, ENTRY_REL))) {
  log(`reusing ${DIR} (provisioned ${readFileSync(join(DIR, MARKER), 'utf8').trim()}) in ${secs(Date.now() - t0)}`);
  console.log(join(DIR, ENTRY_REL));
  process.exit(0);
}

// ---- preconditions, each with the fix spelled out
const major = Number(process.versions.node.split('.')[0]);
if (major !== 20) die(`code-server ${VERSION} needs node 20 (this is ${process.version})`);
const which = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).stdout.trim();
const missing = [];
if (!existsSync('/usr/bin/rg')) missing.push('ripgrep');
if (!which('krb5-config')) missing.push('libkrb5-dev');
if (!which('make') || !which('g++')) missing.push('build-essential');
if (!which('python3')) missing.push('python3');
if (missing.length) die(`missing Debian packages: apt-get install -y ${missing.join(' ')}`);

// jobs=max: node-gyp compiles each native module with make -j<cores>
const env = { npm_config_jobs: 'max', ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
// node headers for node-gyp: configured nodedir, node-gyp's own cache, or the ones the node package ships
const configured = env.npm_config_nodedir || spawnSync('npm', ['config', 'get', 'nodedir'], { encoding: 'utf8' }).stdout.trim();
const hasHeaders = (d) => d && d !== 'undefined' && d !== 'null' && existsSync(join(d, 'include', 'node', 'common.gypi'));
const gypCache = join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'node-gyp', process.versions.node);
if (!hasHeaders(configured) && !hasHeaders(gypCache)) {
  const prefix = dirname(dirname(process.execPath));
  if (!hasHeaders(prefix)) die(`node headers not found in ${prefix}/include/node; node-gyp would download them from nodejs.org`);
  env.npm_config_nodedir = prefix;
  log(`using node headers from ${prefix}/include/node`);
}

// ---- steps
const timings = [];
async function step(name, fn) {
  const s = Date.now();
  log(`${name} …`);
  await fn();
  timings.push([name, Date.now() - s]);
  log(`${name}: ${secs(Date.now() - s)}`);
}
function run(cmd, args, cwd, extraEnv = {}) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd, env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('error', reject);
    p.on('close', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${code}:\n${out.split('\n').slice(-40).join('\n')}`));
    });
  });
}

const stage = `${DIR}.staging-${process.pid}`;
const vscodeDir = join(stage, 'node_modules', 'code-server', 'lib', 'vscode');
process.on('exit', () => rmSync(stage, { recursive: true, force: true }));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

try {
  mkdirSync(stage, { recursive: true });
  writeFileSync(join(stage, 'package.json'), JSON.stringify({ name: 'vdvs-code-server', private: true }) + '\n');

  await step(`npm install code-server@${VERSION} (no scripts)`, () =>
    run('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', `code-server@${VERSION}`], stage));
  await step('build argon2', () => run('npm', ['rebuild', 'argon2'], stage, { npm_config_build_from_source: 'true' }));
  await step('npm install lib/vscode (no scripts)', () =>
    run('npm', ['install', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], vscodeDir));
  await step('ripgrep from Debian', async () => {
    const bin = join(vscodeDir, 'node_modules', '@vscode', 'ripgrep', 'bin');
    mkdirSync(bin, { recursive: true });
    copyFileSync('/usr/bin/rg', join(bin, 'rg'));
    chmodSync(join(bin, 'rg'), 0o755);
  });
  await step('build native modules', () =>
    run('npm', ['rebuild', 'kerberos', 'node-pty', '@vscode/spdlog', '@vscode/deviceid', 'native-watchdog'], vscodeDir, {
      npm_config_yes: 'true',
      npm_config_build_from_source: 'kerberos',
    }));
  await step('links (postinstall.sh)', async () => {
    const link = (target, path) => {
      rmSync(path, { recursive: true, force: true });
      symlinkSync(target, path);
    };
    link('node_modules', join(vscodeDir, 'node_modules.asar'));
    link('code-linux.sh', join(vscodeDir, 'bin', 'remote-cli', 'code-server'));
    link('browser-linux.sh', join(vscodeDir, 'bin', 'helpers', 'browser.sh'));
  });
  await step('npm install lib/vscode/extensions', () =>
    run('npm', ['install', '--omit=dev', '--no-audit', '--no-fund'], join(vscodeDir, 'extensions')));
  await step('check native modules load', () => {
    const nm = join(vscodeDir, 'node_modules');
    const mods = ['kerberos', 'node-pty', '@vscode/spdlog', '@vscode/deviceid', 'native-watchdog', '@parcel/watcher'];
    const script = `for (const m of ${JSON.stringify(mods)}) require(require.resolve(m, { paths: [${JSON.stringify(nm)}] }));` +
      `require(${JSON.stringify(join(stage, 'node_modules', 'argon2'))});` +
      `require('child_process').execFileSync(${JSON.stringify(join(nm, '@vscode', 'ripgrep', 'bin', 'rg'))}, ['--version']);`;
    return run(process.execPath, ['-e', script], stage);
  });
  await step('smoke test: code-server answers /healthz', () => smokeTest(join(stage, ENTRY_REL)));

  writeFileSync(join(stage, MARKER), `${new Date().toISOString()} with node ${process.version}\n`);
  rmSync(DIR, { recursive: true, force: true }); // a stale, unmarked attempt (or --force)
  try {
    renameSync(stage, DIR);
  } catch (e) {
    if (!existsSync(join(DIR, MARKER))) throw e; // else a concurrent run won: use its result
  }
} catch (e) {
  die(e instanceof Error ? e.message : String(e));
}

log(`provisioned ${DIR} in ${secs(Date.now() - t0)} (${timings.map(([n, ms]) => `${n} ${secs(ms)}`).join('; ')})`);
console.log(join(DIR, ENTRY_REL));

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function smokeTest(entry) {
  const port = await freePort();
  const tmp = join(stage, '.smoke');
  mkdirSync(join(tmp, 'home'), { recursive: true });
  const p = spawn(process.execPath, [entry, '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', '--disable-telemetry',
    '--disable-update-check', '--user-data-dir', join(tmp, 'ud'), '--extensions-dir', join(tmp, 'ext'), tmp], {
    env: { ...process.env, HOME: join(tmp, 'home'), XDG_CONFIG_HOME: join(tmp, 'home', '.config'), XDG_DATA_HOME: join(tmp, 'home', '.local', 'share') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  p.stdout.on('data', (d) => (out += d));
  p.stderr.on('data', (d) => (out += d));
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (p.exitCode !== null) throw new Error(`code-server exited ${p.exitCode}:\n${out}`);
      try {
        const r = await fetch(`http://127.0.0.1:${port}/healthz`);
        if (r.ok) {
          const page = await fetch(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(tmp)}`);
          const html = await page.text();
          if (!page.ok || !html.includes('workbench')) throw new Error(`workbench page: HTTP ${page.status}`);
          return;
        }
      } catch (e) {
        if (!(e instanceof TypeError)) throw e; // TypeError = fetch failed: not listening yet
      }
      if (Date.now() > deadline) throw new Error(`code-server did not answer within 30 s:\n${out}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    p.kill('SIGTERM');
    await new Promise((r) => (p.exitCode !== null ? r() : p.on('close', r)));
    rmSync(tmp, { recursive: true, force: true });
  }
}
