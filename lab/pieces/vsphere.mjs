// vSphere piece of the lab: two vcsim processes built from lab/vcsim
// (Debian govmomi sources): an ESX model (standalone ESXi) and a VPX model
// (vCenter), both with credentials enforced and TLS on (self-signed, generated
// once per lab dir, so the thumbprint is stable across restarts of one lab dir).
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export const ESX_PORT = Number(process.env.VDVS_LAB_ESX_PORT || 18989);
export const VC_PORT = Number(process.env.VDVS_LAB_VC_PORT || 18990);

function secret(file) {
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
  const esxDs = path.join(ctx.labDir, 'datastore1');
  const vcDs = path.join(ctx.labDir, 'vcenter', 'datastore1');
  fs.mkdirSync(esxDs, { recursive: true });
  fs.mkdirSync(vcDs, { recursive: true });
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

export async function stop(_ctx) {
  // vcsim holds no mounts or loop devices; its processes are stopped by PID by lab.mjs.
}
