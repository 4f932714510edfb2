#!/usr/bin/env node
// The vDVS local lab: real peers on loopback (vcsim, an ESXi-like shell over
// OpenSSH, dockerd + registry + the stand-in vDVS plugin).
//
//   node lab/lab.mjs start [--vib-preinstalled] [--plugin-preinstalled] [--quiet]
//   node lab/lab.mjs stop [--clean]
//   node lab/lab.mjs status
//   node lab/lab.mjs fault <stale-attach|stale-attach-off|power-on|orphan-vmdk|leftover-snapshot|dead-helper|version-mismatch> [VOL]
//
// Lab dir: $VDVS_LAB_DIR (default /tmp/vdvs-lab). Build cache: $VDVS_CACHE
// (default ~/.cache/vdvs). See lab/README.md. Node builtins only.
import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.dirname(here);
export const labDir = path.resolve(process.env.VDVS_LAB_DIR || '/tmp/vdvs-lab');
export const cacheDir = path.resolve(process.env.VDVS_CACHE || path.join(os.homedir() || '/tmp', '.cache', 'vdvs'));

// Pieces in start order. A missing optional piece is skipped (so each part of the
// lab can be developed and run alone).
const PIECES = [
  { name: 'vsphere', optional: false },
  { name: 'esxi-shell', optional: false },
  { name: 'restic', optional: false },
  { name: 'docker', optional: true },
];

const labJson = () => path.join(labDir, 'lab.json');
const pidsJson = () => path.join(labDir, 'pids.json');
const startedJson = () => path.join(labDir, 'started.json');
const GRACE_MS = 5000;

function log(...a) {
  if (!quiet) console.error('[lab]', ...a);
}
let quiet = false;

function readJson(file, dflt) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return dflt;
  }
}

function writeJsonAtomic(file, data, mode = 0o644) {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(data, null, 2) + '\n', { mode });
  fs.renameSync(tmp, file);
}

// ---- process identity: pid + start time from /proc, so a recycled PID is never killed
function procStartTime(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const state = rest[0];
    if (state === 'Z' || state === 'X') return null; // zombie: as good as dead
    return rest[19]; // field 22 (starttime)
  } catch {
    return null;
  }
}

export function isAlive(rec) {
  if (!rec || !rec.pid) return false;
  const st = procStartTime(rec.pid);
  if (st === null) return false;
  return rec.startTime ? st === rec.startTime : true;
}

function readPids() {
  return readJson(pidsJson(), {});
}

function recordPid(name, rec) {
  const pids = readPids();
  pids[name] = rec;
  writeJsonAtomic(pidsJson(), pids);
}

function forgetPid(name) {
  const pids = readPids();
  delete pids[name];
  writeJsonAtomic(pidsJson(), pids);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function waitFor(fn, timeoutMs = 10000, what = 'condition') {
  const t0 = Date.now();
  let lastErr;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      lastErr = e;
    }
    if (Date.now() - t0 > timeoutMs) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? `: ${lastErr.message}` : ''}`);
    }
    await sleep(50);
  }
}

async function killRecords(entries) {
  // entries: [name, rec][]; TERM all, wait, KILL the rest.
  const live = entries.filter(([, r]) => isAlive(r));
  for (const [name, r] of live) {
    try {
      process.kill(r.pid, 'SIGTERM');
      log(`TERM ${name} (pid ${r.pid})`);
    } catch {}
  }
  const t0 = Date.now();
  while (live.some(([, r]) => isAlive(r)) && Date.now() - t0 < GRACE_MS) await sleep(50);
  for (const [name, r] of live) {
    if (isAlive(r)) {
      try {
        process.kill(r.pid, 'SIGKILL');
        log(`KILL ${name} (pid ${r.pid}) after ${GRACE_MS} ms`);
      } catch {}
    }
  }
  const t1 = Date.now();
  while (live.some(([, r]) => isAlive(r)) && Date.now() - t1 < 2000) await sleep(20);
  for (const [name] of entries) forgetPid(name);
}

// ---- Go builds cached by a hash of their sources
function goVersion() {
  try {
    return execFileSync('go', ['version'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('go not found: apt-get install golang-go golang-github-vmware-govmomi-dev');
  }
}

function hashDir(dir, h) {
  for (const ent of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = path.join(dir, ent.name);
    if (ent.isDirectory()) {
      h.update(`D ${ent.name}\n`);
      hashDir(p, h);
    } else if (ent.isFile()) {
      h.update(`F ${ent.name}\n`);
      h.update(fs.readFileSync(p));
    }
  }
}

/**
 * Build the Go main package in `pkgDir` (relative to the repo or absolute) and
 * return the binary path in the cache. Rebuilds only when the sources, the Go
 * version, the env or the flags change. GOPATH mode against Debian's
 * /usr/share/gocode (see DESIGN.md).
 */
export async function goBuild(name, pkgDir, { env = {}, args = [] } = {}) {
  const abs = path.resolve(repoRoot, pkgDir);
  const h = createHash('sha256');
  h.update(goVersion() + '\n' + JSON.stringify(env) + '\n' + JSON.stringify(args) + '\n');
  hashDir(abs, h);
  const hash = h.digest('hex').slice(0, 16);
  const binDir = path.join(cacheDir, 'bin');
  const out = path.join(binDir, `${name}-${hash}`);
  if (fs.existsSync(out)) return out;
  fs.mkdirSync(binDir, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  log(`building ${name} from ${path.relative(repoRoot, abs) || abs} (cold Go builds take ~30 s)...`);
  const t0 = Date.now();
  await new Promise((resolve, reject) => {
    const p = spawn('go', ['build', ...args, '-o', tmp, '.'], {
      cwd: abs,
      env: {
        ...process.env,
        GO111MODULE: 'off',
        GOPATH: process.env.VDVS_GOPATH || '/usr/share/gocode',
        // Go's default cache (~/.cache/go-build) is shared with other Go builds; without HOME use ours
        ...(process.env.GOCACHE || process.env.HOME || process.env.XDG_CACHE_HOME ? {} : { GOCACHE: path.join(cacheDir, 'go-build') }),
        GOFLAGS: '',
        ...env,
      },
      stdio: ['ignore', 2, 2], // keep stdout for the lab JSON
    });
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`go build ${name} failed (exit ${code})`))));
  });
  fs.renameSync(tmp, out);
  log(`built ${name} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  // drop older builds of the same binary
  for (const f of fs.readdirSync(binDir)) {
    if (f.startsWith(`${name}-`) && f !== path.basename(out) && !f.endsWith('.tmp')) {
      try {
        fs.unlinkSync(path.join(binDir, f));
      } catch {}
    }
  }
  return out;
}

// ---- ctx given to the pieces
function makeCtx(pieceName, flags, info) {
  return {
    labDir,
    cacheDir,
    repoRoot,
    flags,
    info, // the info objects of earlier pieces, merged (keys like vsphere, ssh, ...)
    piece: pieceName,
    log: (...a) => log(`${pieceName}:`, ...a),
    waitFor,
    goBuild,
    sleep,
    isAlive,
    /**
     * Start a long-running process in its own session, stdout+stderr to
     * <labDir>/logs/<name>.log, PID recorded in <labDir>/pids.json.
     * opts: { env, cwd, stdin? } Returns { pid, name, logFile, child, exited() }.
     */
    spawnDaemon(name, cmd, args = [], opts = {}) {
      fs.mkdirSync(path.join(labDir, 'logs'), { recursive: true });
      const logFile = path.join(labDir, 'logs', `${name}.log`);
      const fd = fs.openSync(logFile, 'a');
      fs.writeSync(fd, `\n=== ${new Date().toISOString()} ${cmd} ${args.join(' ')}\n`);
      const child = spawn(cmd, args, {
        cwd: opts.cwd || labDir,
        env: opts.env || process.env,
        detached: true,
        stdio: ['ignore', fd, fd],
      });
      fs.closeSync(fd);
      if (!child.pid) throw new Error(`could not start ${name} (${cmd})`);
      let exitCode;
      child.on('exit', (code, sig) => {
        exitCode = code ?? sig;
      });
      child.on('error', () => {});
      child.unref();
      const startTime = procStartTime(child.pid);
      recordPid(name, { pid: child.pid, piece: pieceName, cmd, startTime });
      return {
        pid: child.pid,
        name,
        logFile,
        child,
        exited: () => exitCode !== undefined,
        exitCode: () => exitCode,
      };
    },
    /** Record a PID started by other means (e.g. a daemon that forks). */
    registerPid(name, pid) {
      recordPid(name, { pid, piece: pieceName, cmd: '', startTime: procStartTime(pid) });
    },
  };
}

async function loadPieces() {
  const out = [];
  // VDVS_LAB_PIECES=vsphere,esxi-shell runs a subset (for developing one piece)
  const only = process.env.VDVS_LAB_PIECES ? process.env.VDVS_LAB_PIECES.split(',').map((s) => s.trim()) : null;
  for (const p of PIECES) {
    if (only && !only.includes(p.name)) continue;
    const file = path.join(here, 'pieces', `${p.name}.mjs`);
    if (!fs.existsSync(file)) {
      if (!p.optional) throw new Error(`missing lab piece ${file}`);
      continue;
    }
    const mod = await import(pathToFileURL(file).href);
    out.push({ name: p.name, mod });
  }
  return out;
}

function summary(info) {
  const lines = ['vDVS lab is running', `  dir        ${info.dir}`];
  if (info.vsphere) {
    const v = info.vsphere;
    lines.push(`  ESXi (vcsim)   ${v.url}  user ${v.user}  password ${v.password}`);
    lines.push(`                 thumbprint ${v.thumbprint}`);
    lines.push(`                 datastore ${v.datastore} = ${v.datastorePath}  VM ${v.vm}`);
  }
  if (info.vcenter) {
    const v = info.vcenter;
    lines.push(`  vCenter (vcsim) ${v.url}  user ${v.user}  password ${v.password}`);
  }
  if (info.ssh) {
    const s = info.ssh;
    lines.push(`  ESXi shell     ssh -p ${s.port} -i ${s.keyPath} ${s.user}@${s.host}   (password ${s.password})`);
    lines.push(`                 host key ${s.hostKeyFingerprint}`);
  }
  if (info.vib) lines.push(`  test VIB       ${info.vib.path}`);
  if (info.restic) {
    const r = info.restic;
    lines.push(`  restic         local ${r.local.path}   rest ${r.rest.baseUrl} (user ${r.rest.user})`);
    lines.push(`                 sftp ${r.sftp ? r.sftp.url : '-'}   s3 ${r.s3 ? r.s3.url : '- (npm package s3rver missing)'}`);
  }
  const show = (v, ...keys) => (typeof v === 'string' ? v : keys.map((k) => v[k]).find(Boolean) || JSON.stringify(v));
  if (info.docker) lines.push(`  Docker         ${show(info.docker, 'host', 'socket')}`);
  if (info.registry) lines.push(`  registry       ${show(info.registry, 'url', 'address', 'host')}`);
  if (info.plugin) lines.push(`  plugin         ${show(info.plugin, 'ref', 'reference', 'name')}`);
  lines.push(`  info file  ${labJson()}   stop: npm run lab:stop`);
  return lines.join('\n');
}

function runningInfo() {
  const info = readJson(labJson(), null);
  if (!info) return null;
  const pids = readPids();
  const names = Object.keys(pids);
  if (!names.length) return null;
  return names.every((n) => isAlive(pids[n])) ? info : null;
}

async function start(flags) {
  const running = runningInfo();
  if (running) {
    log('lab already running');
    if (!quiet) console.error(summary(running));
    console.log(JSON.stringify(running, null, 2));
    return 0;
  }
  // stale or partial lab: clean up first
  if (fs.existsSync(labJson()) || Object.keys(readPids()).length) {
    log('found a stale/partial lab, stopping it first');
    await stop({});
  }
  const t0 = Date.now();
  fs.mkdirSync(path.join(labDir, 'logs'), { recursive: true });
  const pieces = await loadPieces();
  const info = { dir: labDir };
  const started = [];
  try {
    for (const p of pieces) {
      const t = Date.now();
      log(`starting ${p.name}...`);
      const ctx = makeCtx(p.name, flags, info);
      started.push(p);
      writeJsonAtomic(
        startedJson(),
        started.map((x) => x.name),
      ); // stop() calls stop only of these
      const res = await p.mod.start(ctx);
      Object.assign(info, res || {});
      writeJsonAtomic(path.join(labDir, `piece-${p.name}.json`), res || {});
      log(`${p.name} up in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    }
  } catch (e) {
    console.error(`[lab] start failed: ${e.stack || e.message}`);
    const logs = path.join(labDir, 'logs');
    console.error(`[lab] logs in ${logs}; cleaning up what was started`);
    await stop({}, started);
    return 1;
  }
  const pids = readPids();
  info.pids = Object.fromEntries(Object.entries(pids).map(([n, r]) => [n, r.pid]));
  info.startedAt = new Date().toISOString();
  writeJsonAtomic(labJson(), info, 0o600);
  if (!quiet) console.error(summary(info));
  log(`started in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  console.log(JSON.stringify(info, null, 2));
  return 0;
}

async function stop(flags, onlyPieces) {
  const t0 = Date.now();
  const info = readJson(labJson(), { dir: labDir });
  let pieces = onlyPieces;
  if (!pieces) {
    try {
      pieces = await loadPieces();
    } catch (e) {
      log(`warning: ${e.message}`);
      pieces = [];
    }
    // only the pieces a start got to (all of them when that record is missing)
    const startedNames = readJson(startedJson(), null);
    if (Array.isArray(startedNames)) pieces = pieces.filter((p) => startedNames.includes(p.name));
  }
  const errors = [];
  for (const p of [...pieces].reverse()) {
    const ctx = makeCtx(p.name, flags, info);
    if (typeof p.mod.beforeKill === 'function') {
      try {
        await p.mod.beforeKill(ctx);
      } catch (e) {
        errors.push(`${p.name} beforeKill: ${e.message}`);
      }
    }
    await killRecords(Object.entries(readPids()).filter(([, r]) => r.piece === p.name));
    if (typeof p.mod.stop === 'function') {
      try {
        await p.mod.stop(ctx);
      } catch (e) {
        errors.push(`${p.name} stop: ${e.message}`);
      }
    }
  }
  // anything recorded by a piece we could not load
  await killRecords(Object.entries(readPids()));
  for (const f of [labJson(), pidsJson(), startedJson()]) {
    try {
      fs.unlinkSync(f);
    } catch {}
  }
  for (const f of fs.existsSync(labDir) ? fs.readdirSync(labDir) : []) {
    if (/^piece-.*\.json$/.test(f)) fs.unlinkSync(path.join(labDir, f));
  }
  if (flags.clean && errors.length === 0) {
    fs.rmSync(labDir, { recursive: true, force: true });
    log(`removed ${labDir}`);
  }
  for (const e of errors) console.error(`[lab] ${e}`);
  log(`stopped in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return errors.length ? 1 : 0;
}

function status() {
  const pids = readPids();
  const names = Object.keys(pids);
  const info = readJson(labJson(), null);
  if (!names.length) {
    console.log(info ? 'lab.json exists but no PIDs are recorded' : 'lab is not running');
    return info ? 1 : 3;
  }
  let dead = 0;
  for (const n of names) {
    const alive = isAlive(pids[n]);
    if (!alive) dead++;
    console.log(`${alive ? 'alive' : 'DEAD '}  ${n.padEnd(16)} pid ${pids[n].pid}  (${pids[n].piece})`);
  }
  console.log(info ? `lab.json: ${labJson()}` : 'lab.json missing (start incomplete or failed)');
  return dead || !info ? 1 : 0;
}

// One start/stop at a time per lab dir (a second concurrent `npm run lab` waits).
async function withLock(fn) {
  fs.mkdirSync(labDir, { recursive: true });
  const lock = path.join(labDir, '.lock');
  const t0 = Date.now();
  for (;;) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      let holder = 0;
      try {
        holder = Number(fs.readFileSync(lock, 'utf8'));
      } catch {}
      if (!holder || !isAlive({ pid: holder })) {
        fs.rmSync(lock, { force: true });
        continue;
      }
      if (Date.now() - t0 > 120000) throw new Error(`lab dir ${labDir} is locked by pid ${holder}`);
      if (Date.now() - t0 < 100) log(`waiting for pid ${holder} (another lab start/stop)...`);
      await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

async function main(argv) {
  const [cmd, ...rest] = argv;
  if (cmd === 'fault') {
    const { fault } = await import('./faults.mjs');
    return fault(rest[0], rest[1]);
  }
  const flags = {};
  for (const a of rest) {
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const [k, v] = a.slice(2).split('=');
    flags[k] = v ?? true; // both spellings: flags['vib-preinstalled'] and flags.vibPreinstalled
    flags[k.replace(/-([a-z])/g, (_, c) => c.toUpperCase())] = v ?? true;
  }
  quiet = !!flags.quiet;
  switch (cmd) {
    case 'start':
      return withLock(() => start(flags));
    case 'stop':
      if (!fs.existsSync(labDir)) {
        log(`nothing to stop (${labDir} does not exist)`);
        return 0;
      }
      return withLock(() => stop(flags));
    case 'status':
      return status();
    default:
      console.error(
        'usage: node lab/lab.mjs start [--vib-preinstalled] [--plugin-preinstalled] [--quiet] | stop [--clean] | status | fault NAME [VOL]',
      );
      return 2;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      console.error(`[lab] ${e.stack || e.message}`);
      process.exit(1);
    },
  );
}
