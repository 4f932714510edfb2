// restic piece of the lab: the repositories a restic destination (issue 15) can live in, with real
// servers on loopback and the Debian restic 0.14.0 as the client:
//  - local: a directory under the lab dir;
//  - sftp:  a directory in the ESXi shell's chroot, reached through the esxi-shell piece's sshd
//           (internal-sftp), with restic's `-o sftp.command=ssh …` pinning the lab's host key;
//  - rest:  `rclone serve restic` (Debian rclone) with a generated user and password;
//  - s3:    s3rver (npm) over https (restic's S3 client signs http uploads with aws-chunked
//           streaming payloads, which s3rver stores undecoded; over https it sends plain bodies).
// No repository is initialised here: a test or the extension runs `restic init` on a sub path of
// its own (`<url>/<name>`), so runs against one lab never meet each other's repositories.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { portFree, secret } from './vsphere.mjs';

export const REST_PORT = Number(process.env.VDVS_LAB_RESTIC_REST_PORT || 18000);
export const S3_PORT = Number(process.env.VDVS_LAB_S3_PORT || 14568);
export const S3_BUCKET = 'vdvs-lab';
// s3rver 3.x knows exactly one account (lib/models/account.js) and checks only the key id.
const S3RVER_KEYS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' };
// The sftp path of the repositories inside the chroot (resetState of esxi-shell leaves it alone).
const SFTP_DIR = '/restic';

function need(cmd, pkg) {
  for (const d of ['/usr/local/bin', '/usr/bin', '/bin']) {
    const p = path.join(d, cmd);
    if (fs.existsSync(p)) return p;
  }
  throw new Error(`${cmd} not found: apt-get install ${pkg}`);
}

function listening(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.on('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

/** s3rver's command-line script, from the repo's node_modules (or NODE_PATH); null when not installed. */
function s3rverBin(repoRoot) {
  try {
    const req = createRequire(path.join(repoRoot, 'package.json'));
    const pkgJson = req.resolve('s3rver/package.json');
    const { bin } = JSON.parse(fs.readFileSync(pkgJson, 'utf8'));
    return path.join(path.dirname(pkgJson), typeof bin === 'string' ? bin : bin.s3rver);
  } catch {
    return null;
  }
}

/** Self-signed certificate for 127.0.0.1 (restic gets it with `--cacert`); made once per lab dir. */
function ensureCert(dir) {
  const cert = path.join(dir, 's3-cert.pem');
  const key = path.join(dir, 's3-key.pem');
  if (!fs.existsSync(cert) || !fs.existsSync(key)) {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '3650', '-subj', '/CN=vDVS lab S3',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', key, '-out', cert], { stdio: 'ignore' });
    fs.chmodSync(key, 0o600);
  }
  return { cert, key };
}

async function daemonUp(ctx, d, port, what) {
  await ctx.waitFor(async () => {
    if (d.exited()) throw new Error(`${what} exited (${d.exitCode()}); see ${d.logFile}`);
    return listening(port);
  }, 15000, `${what} on 127.0.0.1:${port}`);
}

function sftpBackend(ssh) {
  const hostPath = path.join(ssh.chroot, SFTP_DIR);
  fs.mkdirSync(hostPath, { recursive: true });
  // restic splits sftp.command at spaces: the lab's paths have none. -F none: no user ssh config;
  // BatchMode: never a password prompt (a failed key login fails at once).
  const command = ['ssh', '-F', 'none', '-p', ssh.port, '-i', ssh.keyPath, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes',
    '-o', `UserKnownHostsFile=${ssh.knownHostsPath}`, '-o', 'StrictHostKeyChecking=yes', `${ssh.user}@${ssh.host}`, '-s', 'sftp'].join(' ');
  return {
    url: `sftp:${ssh.user}@${ssh.host}:${SFTP_DIR}`,
    path: SFTP_DIR,
    hostPath,
    command,
    options: ['-o', `sftp.command=${command}`],
    keyPath: ssh.keyPath,
    knownHostsPath: ssh.knownHostsPath,
    port: ssh.port,
  };
}

async function restBackend(ctx, dir) {
  const rclone = need('rclone', 'rclone');
  if (!(await portFree(REST_PORT))) throw new Error(`127.0.0.1:${REST_PORT} is in use (another lab? set VDVS_LAB_RESTIC_REST_PORT)`);
  const data = path.join(dir, 'rest');
  fs.mkdirSync(data, { recursive: true });
  const user = 'vdvs-lab';
  const password = secret(path.join(dir, 'rest-password'));
  const config = path.join(dir, 'rclone.conf');
  if (!fs.existsSync(config)) fs.writeFileSync(config, '', { mode: 0o600 });
  // user and password through rclone's flag environment (RCLONE_<FLAG>), not on its command line
  const d = ctx.spawnDaemon('rclone-restic', rclone, ['serve', 'restic', '--config', config, '--addr', `127.0.0.1:${REST_PORT}`, data], {
    env: { ...process.env, RCLONE_USER: user, RCLONE_PASS: password },
  });
  await daemonUp(ctx, d, REST_PORT, 'rclone serve restic');
  const base = `http://127.0.0.1:${REST_PORT}/`;
  return {
    url: `rest:http://${user}:${password}@127.0.0.1:${REST_PORT}/`,
    baseUrl: base,
    user,
    password,
    port: REST_PORT,
    dir: data,
    log: d.logFile,
  };
}

async function s3Backend(ctx, dir) {
  const bin = s3rverBin(ctx.repoRoot);
  if (!bin) {
    ctx.log('no S3 endpoint: the npm package s3rver is not installed (npm ci)');
    return null;
  }
  if (!(await portFree(S3_PORT))) throw new Error(`127.0.0.1:${S3_PORT} is in use (another lab? set VDVS_LAB_S3_PORT)`);
  const data = path.join(dir, 's3');
  fs.mkdirSync(data, { recursive: true });
  const { cert, key } = ensureCert(dir);
  const d = ctx.spawnDaemon('s3rver', process.execPath, [bin, '--directory', data, '--address', '127.0.0.1', '--port', String(S3_PORT),
    '--key', key, '--cert', cert, '--configure-bucket', S3_BUCKET, '--silent']);
  await daemonUp(ctx, d, S3_PORT, 's3rver');
  return {
    url: `s3:https://127.0.0.1:${S3_PORT}/${S3_BUCKET}`,
    endpoint: `https://127.0.0.1:${S3_PORT}`,
    bucket: S3_BUCKET,
    env: { ...S3RVER_KEYS },
    caCertPath: cert,
    options: ['--cacert', cert],
    port: S3_PORT,
    dir: data,
    log: d.logFile,
  };
}

export async function start(ctx) {
  const restic = need('restic', 'restic');
  const version = execFileSync(restic, ['version'], { encoding: 'utf8' }).trim(); // "restic 0.14.0 compiled with go1.19.8 on linux/amd64"
  const dir = path.join(ctx.labDir, 'restic');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const passwordFile = path.join(dir, 'repo-password');
  const password = secret(passwordFile);
  const local = path.join(dir, 'local');
  fs.mkdirSync(local, { recursive: true });
  return {
    restic: {
      binary: restic,
      version: version.split(' ')[1],
      password,
      passwordFile,
      local: { url: local, path: local },
      sftp: ctx.info.ssh ? sftpBackend(ctx.info.ssh) : null,
      rest: await restBackend(ctx, dir),
      s3: await s3Backend(ctx, dir),
    },
  };
}

export async function stop() {
  // nothing mounted or left running: rclone and s3rver are the lab's recorded PIDs
}
