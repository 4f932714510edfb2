// ESXi-shell piece of the lab: OpenSSH sshd on 127.0.0.1:12222 whose sessions
// run chrooted in a busybox-static tree holding esxcli / hostd / ps stand-ins
// (lab/esxi-shell/), with SFTP (internal-sftp) into the chroot.
//
// sshd runs in its own mount namespace (unshare -m, private propagation), where
//  - /etc/passwd and /etc/shadow are bind-mounted lab copies, so "root" has the
//    lab's generated password and /bin/sh as shell, without touching the host's
//    accounts;
//  - a small tmpfs on /srv (or /media) holds the chroot mount point
//    (sshd refuses a ChrootDirectory below a world-writable dir such as /tmp);
//  - <lab dir>/datastore1 is bind-mounted at /vmfs/volumes/datastore1.
// All those mounts exist only in that namespace and vanish with its last
// process: nothing is mounted on the host. stop() also ends leftover session
// processes of that namespace (and only those).
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { makeTestVibs } from '../vib/make-test-vib.mjs';
import { BINARY } from '../plugin/build.mjs';

export const SSH_PORT = Number(process.env.VDVS_LAB_SSH_PORT || 12222);

const BASE_VIBS = [
  'esx-base|6.7.0-3.73.14320388|VMware|VMwareCertified|2019-09-10',
  'esx-ui|1.33.4-14093553|VMware|VMwareCertified|2019-09-10',
  'esx-xserver|6.7.0-3.73.14320388|VMware|VMwareCertified|2019-09-10',
  'lsi-mr3|7.708.07.00-3vmw.670.3.73.14320388|VMW|VMwareCertified|2019-09-10',
  'lsu-lsi-lsi-mr3-plugin|1.0.0-13vmw.670.1.28.10302608|VMware|VMwareCertified|2019-09-10',
  'pvscsi|0.1-2vmw.670.0.0.8169922|VMW|VMwareCertified|2019-09-10',
  'tools-light|11.0.1.14773994-15160134|VMware|VMwareCertified|2019-09-10',
  'vmkusb|0.1-1vmw.670.3.73.14320388|VMW|VMwareCertified|2019-09-10',
  'vsan|6.7.0-3.73.14263135|VMware|VMwareCertified|2019-09-10',
  'vsanhealth|6.7.0-3.73.14263064|VMware|VMwareCertified|2019-09-10',
];

const which = (cmd, extra = []) => {
  for (const d of [...extra, '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
    const p = path.join(d, cmd);
    if (fs.existsSync(p)) return p;
  }
  return null;
};

function need(cmd, pkg) {
  const p = which(cmd);
  if (!p) throw new Error(`${cmd} not found: apt-get install ${pkg}`);
  return p;
}

function portFree(port) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

function sshBanner(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let buf = '';
    const done = (v) => {
      s.destroy();
      resolve(v);
    };
    s.setTimeout(1000, () => done(false));
    s.on('data', (d) => {
      buf += d;
      if (buf.includes('\n')) done(buf.startsWith('SSH-2.0-'));
    });
    s.on('error', () => done(false));
  });
}

export function fingerprintOfPub(pubLine) {
  const blob = Buffer.from(pubLine.trim().split(/\s+/)[1], 'base64');
  return 'SHA256:' + crypto.createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

function mntNs(pid) {
  try {
    return fs.readlinkSync(`/proc/${pid}/ns/mnt`);
  } catch {
    return null;
  }
}

function writeIfChanged(file, data, mode) {
  let old = null;
  try {
    old = fs.readFileSync(file);
  } catch {}
  if (!old || !old.equals(Buffer.from(data))) fs.writeFileSync(file, data);
  if (mode !== undefined) fs.chmodSync(file, mode);
}

function symlinkForce(target, p) {
  try {
    if (fs.readlinkSync(p) === target) return;
  } catch {}
  fs.rmSync(p, { force: true });
  fs.symlinkSync(target, p);
}

/** Build (or refresh) the chroot tree; state is reset by resetState(). */
function buildChroot(ctx, root) {
  const busybox = need('busybox', 'busybox-static');
  for (const d of ['bin', 'sbin', 'etc/init.d', 'lib', 'dev', 'usr/lib/vmware', 'var/db/esximg/vibs', 'var/run', 'var/log/vmware', 'vmfs/volumes/datastore1', 'scratch']) {
    fs.mkdirSync(path.join(root, d), { recursive: true });
  }
  for (const d of ['', 'bin', 'sbin', 'etc', 'lib', 'var', 'vmfs', 'vmfs/volumes']) fs.chmodSync(path.join(root, d), 0o755);
  fs.mkdirSync(path.join(root, 'tmp'), { recursive: true });
  fs.chmodSync(path.join(root, 'tmp'), 0o1777);
  const bb = path.join(root, 'bin/busybox');
  const src = fs.statSync(busybox);
  let dst = null;
  try {
    dst = fs.statSync(bb);
  } catch {}
  if (!dst || dst.size !== src.size || dst.mtimeMs < src.mtimeMs) {
    fs.copyFileSync(busybox, bb);
    fs.chmodSync(bb, 0o755);
  }
  const ours = new Set(['esxcli', 'ps', 'vmware']);
  const applets = execFileSync(busybox, ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const a of applets) {
    if (ours.has(a) || a === 'busybox') continue;
    symlinkForce('busybox', path.join(root, 'bin', a));
  }
  symlinkForce('busybox', path.join(root, 'bin/sh'));
  const shell = path.join(ctx.repoRoot, 'lab/esxi-shell');
  for (const [from, to] of [
    ['esxcli', 'bin/esxcli'],
    ['ps', 'bin/ps'],
    ['vmware', 'bin/vmware'],
    ['hostd', 'etc/init.d/hostd'],
    ['esxi-lab.sh', 'lib/esxi-lab.sh'],
    ['esxi-sh', 'bin/esxi-sh'],
    ['esxi-shrc', 'etc/esxi-shrc'],
  ]) {
    writeIfChanged(path.join(root, to), fs.readFileSync(path.join(shell, from)), /\.sh$|rc$/.test(from) ? 0o644 : 0o755);
  }
  symlinkForce('/bin/esxcli', path.join(root, 'sbin/esxcli'));
  symlinkForce('/bin/esxcli', path.join(root, 'bin/localcli'));
  writeIfChanged(path.join(root, 'etc/passwd'), 'root:x:0:0:Administrator:/:/bin/esxi-sh\n', 0o644);
  writeIfChanged(path.join(root, 'etc/group'), 'root:x:0:root\n', 0o644);
  writeIfChanged(
    path.join(root, 'etc/profile'),
    'export PS1="[\\u@localhost:\\w] "\nexport PATH=/bin:/sbin\nexport HOME=/\n',
    0o644,
  );
  writeIfChanged(
    path.join(root, 'etc/vmware-release'),
    'VMware ESXi 6.7.0 build-14320388 (vDVS lab TEST STAND-IN: busybox chroot, not ESXi)\n',
    0o644,
  );
  const devNull = path.join(root, 'dev/null');
  if (!fs.existsSync(devNull)) {
    try {
      execFileSync('mknod', ['-m', '666', devNull, 'c', '1', '3']);
    } catch {
      ctx.log('warning: could not mknod /dev/null in the chroot');
    }
  }
}

/**
 * vmdkops_admin.py's other half: the stand-in plugin's binary (same build as the docker piece's, so
 * one cache entry), run by the VIB's /usr/lib/vmware/vmdkops/bin/vmdkops_admin.py wrapper as
 * `<binary> admin …` (lab/plugin/src/admin.go). Its config names the vcsim host agent (vm_uuid2name
 * for "Attached-to") and the state files that say whether hostd is up.
 */
async function installAdmin(ctx, root) {
  const bin = await ctx.goBuild(BINARY, 'lab/plugin/src', { env: { CGO_ENABLED: '0' }, args: ['-trimpath'] });
  const dst = path.join(root, ADMIN_BINARY);
  fs.mkdirSync(path.dirname(dst), { recursive: true });
  const same = fs.existsSync(dst) && fs.statSync(dst).size === fs.statSync(bin).size && fs.readFileSync(dst).equals(fs.readFileSync(bin));
  if (!same) {
    fs.copyFileSync(bin, `${dst}.tmp`);
    fs.chmodSync(`${dst}.tmp`, 0o755);
    fs.renameSync(`${dst}.tmp`, dst);
  }
  const v = ctx.info?.vsphere ?? {};
  const conf = {
    LogPath: '/var/log/vmware/vmdkops_admin.log',
    Lab: {
      VsphereURL: v.url ?? '',
      User: v.user ?? '',
      Password: v.password ?? '',
      Thumbprint: v.thumbprint ?? '',
      VolumesRoot: '/vmfs/volumes',
      EsxStateDir: '/var/run',
      EsxStateFile: 'vmdkops.state',
      EsxHostdAwayFile: 'hostd.away-until',
    },
  };
  fs.mkdirSync(path.join(root, 'etc/vmware'), { recursive: true });
  writeIfChanged(path.join(root, 'etc/vmware/vdvs-lab-admin.json'), JSON.stringify(conf, null, 2) + '\n', 0o600);
}

/** Where the chroot keeps the admin CLI's binary (the VIB's wrapper runs it). */
const ADMIN_BINARY = 'lib/vdvs-lab/vmdkops-admin';

/** Fresh host state: no extra VIB, hostd up, acceptance partner, ESXi 6.7.0. */
function resetState(root) {
  const db = path.join(root, 'var/db/esximg');
  fs.rmSync(path.join(db, 'vibs'), { recursive: true, force: true });
  fs.mkdirSync(path.join(db, 'vibs'), { recursive: true });
  for (const f of ['maintenance-required']) fs.rmSync(path.join(db, f), { force: true });
  fs.writeFileSync(path.join(db, 'acceptance'), 'partner\n');
  fs.writeFileSync(path.join(db, 'esx-version'), '6.7.0\n');
  fs.writeFileSync(path.join(db, 'esx-build'), '14320388\n');
  fs.writeFileSync(path.join(db, 'hostd-away-seconds'), '3\n');
  fs.writeFileSync(path.join(db, 'base-vibs'), BASE_VIBS.join('\n') + '\n');
  const run = path.join(root, 'var/run');
  for (const f of fs.readdirSync(run)) fs.rmSync(path.join(run, f), { recursive: true, force: true });
  const t = Math.floor(Date.now() / 1000);
  fs.writeFileSync(path.join(run, 'hostd.away-until'), '0\n');
  fs.writeFileSync(path.join(run, 'hostd.started'), `${t}\n`);
  fs.writeFileSync(path.join(run, 'vmdkops.state'), 'vib=absent\nversion=\nservice=stopped\nsince=0\n');
  // payload files a previous run may have extracted
  fs.rmSync(path.join(root, 'usr/lib/vmware/vmdkops'), { recursive: true, force: true });
  fs.rmSync(path.join(root, 'etc/init.d/vmdk-opsd'), { force: true });
  fs.writeFileSync(path.join(root, 'var/log/esxupdate.log'), '');
  fs.rmSync(path.join(root, 'var/log/vmware/vmdk_ops.log'), { force: true });
  for (const f of fs.readdirSync(path.join(root, 'tmp'))) fs.rmSync(path.join(root, 'tmp', f), { recursive: true, force: true });
}

function secret(file) {
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  const pw = `Esx-${crypto.randomBytes(9).toString('base64url').replace(/[-_]/g, 'x')}1!`;
  fs.writeFileSync(file, pw + '\n', { mode: 0o600 });
  return pw;
}

function keygen(file, comment) {
  if (fs.existsSync(file) && fs.existsSync(`${file}.pub`)) return;
  fs.rmSync(file, { force: true });
  fs.rmSync(`${file}.pub`, { force: true });
  execFileSync(need('ssh-keygen', 'openssh-client'), ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
}

/** The namespace's /etc/passwd and /etc/shadow: the host's accounts, root with the lab password. */
function nsAccounts(dir, password) {
  const busybox = need('busybox', 'busybox-static');
  const salt = crypto.randomBytes(12).toString('base64').replace(/[^a-zA-Z0-9]/g, '').slice(0, 16);
  const hashFile = path.join(dir, 'ns/root.hash');
  let hash = null;
  try {
    const [pw, h] = fs.readFileSync(hashFile, 'utf8').split('\n');
    if (pw === crypto.createHash('sha256').update(password).digest('hex')) hash = h;
  } catch {}
  if (!hash) {
    hash = execFileSync(busybox, ['mkpasswd', '-m', 'sha512', password, salt], { encoding: 'utf8' }).trim();
    fs.writeFileSync(hashFile, `${crypto.createHash('sha256').update(password).digest('hex')}\n${hash}\n`, { mode: 0o600 });
  }
  const users = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(':'));
  const passwd = users.map((u) => (u[0] === 'root' ? 'root:x:0:0:Administrator:/:/bin/esxi-sh' : u.join(':'))).join('\n') + '\n';
  const shadow = users.map((u) => `${u[0]}:${u[0] === 'root' ? hash : '*'}:19000:0:99999:7:::`).join('\n') + '\n';
  writeIfChanged(path.join(dir, 'ns/passwd'), passwd, 0o644);
  writeIfChanged(path.join(dir, 'ns/shadow'), shadow, 0o600);
}

function chrootMountBase() {
  for (const d of ['/srv', '/media']) {
    try {
      const st = fs.statSync(d);
      if (st.isDirectory() && st.uid === 0 && (st.mode & 0o022) === 0) return d;
    } catch {}
  }
  throw new Error('need an empty root-owned /srv or /media to mount the chroot on (inside sshd\'s own mount namespace)');
}

export async function start(ctx) {
  const sshd = need('sshd', 'openssh-server');
  const unshare = need('unshare', 'util-linux');
  need('ssh-keygen', 'openssh-client');
  if (!(await portFree(SSH_PORT))) {
    throw new Error(`127.0.0.1:${SSH_PORT} is in use (another lab? run npm run lab:stop, or set VDVS_LAB_SSH_PORT)`);
  }
  const dir = path.join(ctx.labDir, 'esxi');
  const root = path.join(dir, 'root');
  fs.mkdirSync(path.join(dir, 'ns'), { recursive: true, mode: 0o700 });
  fs.mkdirSync(root, { recursive: true });

  buildChroot(ctx, root);
  resetState(root);
  await installAdmin(ctx, root);

  // keys and password: generated once per lab dir
  const hostKey = path.join(dir, 'ssh_host_ed25519_key');
  const userKey = path.join(dir, 'id_ed25519');
  keygen(hostKey, 'vdvs-lab-esxi-hostkey');
  keygen(userKey, 'vdvs-lab-root');
  const password = secret(path.join(dir, 'root-password'));
  const authorized = path.join(dir, 'authorized_keys');
  writeIfChanged(authorized, fs.readFileSync(`${userKey}.pub`), 0o600);
  nsAccounts(dir, password);
  const hostPub = fs.readFileSync(`${hostKey}.pub`, 'utf8').trim();
  const hostKeyFingerprint = fingerprintOfPub(hostPub);
  const knownHosts = path.join(dir, 'known_hosts');
  writeIfChanged(knownHosts, `[127.0.0.1]:${SSH_PORT} ${hostPub.split(/\s+/).slice(0, 2).join(' ')}\n`, 0o644);

  // test VIBs (deterministic, rebuilt every start)
  const vib = makeTestVibs(path.join(ctx.labDir, 'vibs'));

  const base = chrootMountBase();
  const chrootInNs = `${base}/esxi`;
  const ds = ctx.info?.vsphere?.datastorePath || path.join(ctx.labDir, 'datastore1');
  fs.mkdirSync(ds, { recursive: true });
  const config = path.join(dir, 'sshd_config');
  writeIfChanged(
    config,
    `# vDVS lab: the "ESXi shell" (generated by lab/pieces/esxi-shell.mjs)
Port ${SSH_PORT}
ListenAddress 127.0.0.1
HostKey ${hostKey}
PidFile none
UsePAM no
PermitRootLogin yes
PasswordAuthentication yes
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AuthorizedKeysFile ${authorized}
StrictModes no
PermitEmptyPasswords no
ChrootDirectory ${chrootInNs}
Subsystem sftp internal-sftp
X11Forwarding no
AllowTcpForwarding no
AllowAgentForwarding no
PermitTunnel no
PrintMotd no
PrintLastLog no
UseDNS no
MaxStartups 100:30:200
MaxSessions 50
LoginGraceTime 30
LogLevel INFO
AcceptEnv LANG LC_*
`,
    0o600,
  );
  fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // sshd's privilege separation dir (Debian)

  const q = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;
  // The new namespace starts with a copy of every host mount. Drop the copies of
  // loop/overlay/nsfs and Docker/containerd mounts (of this or any other lab) so that
  // this sshd never keeps someone's loop device or container layer busy (the stop order keeps
  // the datastore's image: sshd ends before the vsphere piece unmounts it).
  // The ESX datastore's own loop-mounted XFS image (vsphere piece) is kept: it is bound below.
  const dropMounts =
    `awk -v ds=${q(ds)} '{ split($0, a, " - "); split(a[2], b, " "); mp = $5; ` +
    `if (mp != ds && (b[1] == "overlay" || b[1] == "nsfs" || b[2] ~ /^\\/dev\\/loop/ || mp ~ /\\/(docker|containerd|plugins)(\\/|$)/)) print mp }' ` +
    `/proc/self/mountinfo | sort -r | while read -r mp; do umount -l "$mp" 2>/dev/null || true; done`;
  const script = [
    dropMounts,
    'set -e',
    `mount --bind ${q(path.join(dir, 'ns/passwd'))} /etc/passwd`,
    `mount --bind ${q(path.join(dir, 'ns/shadow'))} /etc/shadow`,
    `mount -t tmpfs -o mode=755,size=64k vdvs-lab-esxi ${base}`,
    `mkdir ${chrootInNs}`,
    `mount --bind ${q(root)} ${chrootInNs}`,
    `mount --bind ${q(ds)} ${chrootInNs}/vmfs/volumes/datastore1`,
    `${sshd} -t -f ${q(config)}`,
    `exec ${sshd} -D -e -f ${q(config)}`,
  ].join('\n');
  const d = ctx.spawnDaemon('sshd-esxi', unshare, ['--mount', '--propagation', 'private', '/bin/sh', '-c', script]);
  await ctx.waitFor(async () => {
    if (d.exited()) throw new Error(`sshd exited (${d.exitCode()}); see ${d.logFile}`);
    return sshBanner(SSH_PORT);
  }, 15000, `sshd on 127.0.0.1:${SSH_PORT}`);
  const ns = mntNs(d.pid);
  fs.writeFileSync(path.join(dir, 'sshd.mntns'), `${ns}\n`);

  if (ctx.flags.vibPreinstalled) {
    const inChroot = `/tmp/${path.basename(vib.path)}`;
    fs.copyFileSync(vib.path, path.join(root, inChroot));
    const out = execFileSync('chroot', [root, '/bin/sh', '-c', `esxcli software vib install -v ${inChroot} && /etc/init.d/hostd restart`], {
      encoding: 'utf8',
      env: { PATH: '/bin:/sbin' },
    });
    ctx.log(out.trim().split('\n').join(' | '));
    // skip hostd's "away" period at lab start: up and serving now
    const t = Math.floor(Date.now() / 1000);
    fs.writeFileSync(path.join(root, 'var/run/hostd.away-until'), `${t}\n`);
    const st = fs.readFileSync(path.join(root, 'var/run/vmdkops.state'), 'utf8').replace(/^since=.*$/m, `since=${t}`);
    fs.writeFileSync(path.join(root, 'var/run/vmdkops.state'), st);
  }

  return {
    ssh: {
      host: '127.0.0.1',
      port: SSH_PORT,
      user: 'root',
      password,
      keyPath: userKey,
      publicKeyPath: `${userKey}.pub`,
      hostKeyFingerprint,
      hostKey: hostPub,
      knownHostsPath: knownHosts,
      chroot: root,
      state: {
        vibsDir: path.join(root, 'var/db/esximg/vibs'),
        vmdkopsState: path.join(root, 'var/run/vmdkops.state'),
        hostdAwayUntil: path.join(root, 'var/run/hostd.away-until'),
        acceptance: path.join(root, 'var/db/esximg/acceptance'),
        esxVersion: path.join(root, 'var/db/esximg/esx-version'),
        maintenanceRequired: path.join(root, 'var/db/esximg/maintenance-required'),
        vmdkOpsLog: path.join(root, 'var/log/vmware/vmdk_ops.log'),
      },
      mountNs: ns,
      log: d.logFile,
    },
    vib,
  };
}

/** Ends the session processes still in sshd's mount namespace (ours only). */
async function killNamespace(ctx, ns, sig) {
  let n = 0;
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    if (mntNs(e) === ns) {
      try {
        process.kill(Number(e), sig);
        n++;
      } catch {}
    }
  }
  return n;
}

export async function stop(ctx) {
  const dir = path.join(ctx.labDir, 'esxi');
  let ns = ctx.info?.ssh?.mountNs;
  try {
    ns ||= fs.readFileSync(path.join(dir, 'sshd.mntns'), 'utf8').trim();
  } catch {}
  if (!ns || ns === 'null' || ns === mntNs(process.pid)) return; // never our own namespace
  if (await killNamespace(ctx, ns, 'SIGTERM')) {
    const t0 = Date.now();
    while (Date.now() - t0 < 3000 && (await killNamespace(ctx, ns, 0))) await ctx.sleep(50);
    const left = await killNamespace(ctx, ns, 'SIGKILL');
    if (left) ctx.log(`killed ${left} leftover ssh session process(es)`);
  }
  fs.rmSync(path.join(dir, 'sshd.mntns'), { force: true });
}
