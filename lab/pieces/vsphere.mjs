// vSphere piece of the lab: two vcsim processes built from lab/vcsim
// (Debian govmomi sources): an ESX model (standalone ESXi) and a VPX model
// (vCenter), both with credentials enforced and TLS on (self-signed, generated
// once per lab dir, so the thumbprint is stable across restarts of one lab dir).
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export const ESX_PORT = Number(process.env.VDVS_LAB_ESX_PORT || 18989);
export const VC_PORT = Number(process.env.VDVS_LAB_VC_PORT || 18990);

export function secret(file) {
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  // readable, shell-safe, with the character classes ESXi's password policy wants
  const pw = `Lab-${crypto.randomBytes(9).toString('base64url').replace(/[-_]/g, 'x')}1!`;
  fs.writeFileSync(file, pw + '\n', { mode: 0o600 });
  return pw;
}

export function portFree(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

export function thumbprintOf(certPem) {
  return new crypto.X509Certificate(certPem).fingerprint256; // "AB:CD:..." uppercase
}

/** The two datastore directories: ESX `<lab>/datastore1`, VPX `<lab>/vcenter/datastore1`. */
export function datastoreDirs(labDir) {
  return [path.join(labDir, 'datastore1'), path.join(labDir, 'vcenter', 'datastore1')];
}

/** Size of the sparse XFS image behind each datastore (only what is written takes space). */
const DATASTORE_IMAGE_BYTES = 64 * 2 ** 30;

function mountTargets() {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter(Boolean);
}

/**
 * Puts a datastore directory on a loop-mounted XFS image `<dir>.xfs` kept in the lab dir
 * (made once; reflinks on), so that vcsim can freeze a disk for a snapshot with a reflink clone
 * (lab/vcsim/snapshots.go). What a datastore directory of an older lab held is moved into it.
 */
function mountDatastore(ctx, dir) {
  fs.mkdirSync(dir, { recursive: true });
  if (mountTargets().includes(dir)) return; // a stop that did not get to it: the same image
  const image = `${dir}.xfs`;
  if (!fs.existsSync(image)) {
    const fd = fs.openSync(`${image}.tmp`, 'w');
    fs.ftruncateSync(fd, DATASTORE_IMAGE_BYTES);
    fs.closeSync(fd);
    execFileSync('mkfs.xfs', ['-q', '-m', 'reflink=1', '-L', 'vdvs-lab-ds', `${image}.tmp`]);
    fs.renameSync(`${image}.tmp`, image);
  }
  const carried = fs.readdirSync(dir);
  if (carried.length) {
    const tmp = `${dir}.migrate`;
    fs.mkdirSync(tmp, { recursive: true });
    execFileSync('mount', ['-o', 'loop,discard', image, tmp]);
    try {
      execFileSync('cp', ['-a', '--sparse=always', `${dir}/.`, tmp]);
    } finally {
      execFileSync('umount', [tmp]);
    }
    fs.rmdirSync(tmp);
    for (const e of carried) fs.rmSync(path.join(dir, e), { recursive: true, force: true });
    ctx.log(`moved ${carried.length} entr${carried.length === 1 ? 'y' : 'ies'} of ${dir} onto its XFS image`);
  }
  // A stop that had to unmount lazily may leave the file system alive on its loop device: mount
  // that device again (the same superblock) rather than a second loop device over the same image.
  const dev = execFileSync('losetup', ['-n', '-O', 'NAME', '-j', image], { encoding: 'utf8' }).trim().split('\n')[0];
  execFileSync('mount', dev ? ['-o', 'discard', dev, dir] : ['-o', 'loop,discard', image, dir]);
}

async function startOne(ctx, bin, { model, port, user, password, dsDir, name }) {
  const dir = path.join(ctx.labDir, 'vsphere');
  const cert = path.join(dir, `${model}-cert.pem`);
  const key = path.join(dir, `${model}-key.pem`);
  const ready = path.join(dir, `${model}-ready.json`);
  fs.rmSync(ready, { force: true });
  if (!(await portFree(port))) {
    throw new Error(`127.0.0.1:${port} is in use (another lab? run npm run lab:stop, or set VDVS_LAB_${model === 'esx' ? 'ESX' : 'VC'}_PORT)`);
  }
  const d = ctx.spawnDaemon(name, bin, [
    '-model', model,
    '-listen', `127.0.0.1:${port}`,
    '-user', user,
    '-password', password,
    '-cert', cert,
    '-key', key,
    '-datastore', 'datastore1',
    '-datastore-dir', dsDir,
    '-vm', 'docker-host-01',
    '-ready-file', ready,
  ]);
  const r = await ctx.waitFor(() => {
    if (d.exited()) throw new Error(`${name} exited (${d.exitCode()}); see ${d.logFile}`);
    if (!fs.existsSync(ready)) return null;
    const j = JSON.parse(fs.readFileSync(ready, 'utf8'));
    return j.pid === d.pid ? j : null;
  }, 30000, `${name} on port ${port}`);
  const certPem = fs.readFileSync(cert, 'utf8');
  const thumbprint = thumbprintOf(certPem);
  if (r.thumbprint !== thumbprint) throw new Error(`${name}: thumbprint mismatch ${r.thumbprint} vs ${thumbprint}`);
  return {
    url: `https://127.0.0.1:${port}/sdk`,
    user,
    password,
    thumbprint,
    certPem,
    certPath: cert,
    datacenter: r.datacenter,
    datastore: r.datastore,
    datastorePath: r.datastorePath,
    vm: r.vm,
    vmRef: r.vmRef,
    vmPathName: r.vmPathName,
    hostName: r.hostName,
    hostRef: r.hostRef,
    hosts: r.hosts,
    model,
    log: d.logFile,
  };
}

export async function start(ctx) {
  const bin = await ctx.goBuild('vcsim-lab', 'lab/vcsim');
  const dir = path.join(ctx.labDir, 'vsphere');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const [esxDs, vcDs] = datastoreDirs(ctx.labDir);
  for (const ds of [esxDs, vcDs]) mountDatastore(ctx, ds);
  const [vsphere, vcenter] = await Promise.all([
    startOne(ctx, bin, {
      model: 'esx',
      port: ESX_PORT,
      user: 'root',
      password: secret(path.join(dir, 'esx-password')),
      dsDir: esxDs,
      name: 'vcsim-esx',
    }),
    startOne(ctx, bin, {
      model: 'vpx',
      port: VC_PORT,
      user: 'administrator@vsphere.local',
      password: secret(path.join(dir, 'vpx-password')),
      dsDir: vcDs,
      name: 'vcsim-vcenter',
    }),
  ]);
  return { vsphere, vcenter };
}

/**
 * After vcsim is gone and the docker piece has unmounted the volumes (their loop devices read
 * files on these datastores): unmount the datastore images (the loop device goes with them).
 */
export async function stop(ctx) {
  for (const dir of datastoreDirs(ctx.labDir)) {
    if (!mountTargets().includes(dir)) continue;
    try {
      execFileSync('umount', [dir], { stdio: 'pipe' });
    } catch (err) {
      ctx.log(`warning: ${dir} is busy (${String(err.stderr || err.message).trim()}); unmounted lazily`);
      execFileSync('umount', ['-l', dir]);
    }
  }
}
