// The Docker host of the vDVS lab:
//   - dockerd (Debian docker.io 20.10) on <lab>/docker.sock and tcp+TLS 127.0.0.1:12376,
//     own data root / exec root, no iptables, no bridge (its containerd starts by itself);
//   - a busybox image imported as busybox:latest and tagged alpine:latest;
//   - Debian's docker-registry on 127.0.0.1:5000 (filesystem storage in the lab dir, no auth)
//     holding the stand-in vDVS plugin as 127.0.0.1:5000/vmware/vsphere-storage-for-docker:latest
//     and :0.21.3 — pushed but NOT installed (flag --plugin-preinstalled installs it as "vsphere").
// See lab/README.md (section "Docker") and lab/plugin/.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { publish, REPO, BINARY } from '../plugin/build.mjs';
import { datastoreDirs } from './vsphere.mjs';

const pexec = promisify(execFile);
export const DOCKER_CLI = '/usr/bin/docker'; // /usr/local/bin/docker may be a newer client
const TCP_PORT = Number(process.env.VDVS_LAB_DOCKER_TCP_PORT || 12376);
const REGISTRY = `127.0.0.1:${process.env.VDVS_LAB_REGISTRY_PORT || 5000}`;
const ALIAS = 'vsphere';

function paths(labDir) {
  const d = path.join(labDir, 'docker');
  return {
    dir: d,
    socket: path.join(labDir, 'docker.sock'),
    data: path.join(d, 'data'),
    exec: path.join(d, 'exec'),
    pidfile: path.join(d, 'dockerd.pid'),
    tls: path.join(d, 'tls'),
    client: path.join(d, 'client'), // DOCKER_CERT_PATH layout: ca.pem cert.pem key.pem
    registryDir: path.join(labDir, 'registry'),
    state: path.join(d, 'piece-state.json'),
  };
}

function dockerEnv(p) {
  const env = { ...process.env, DOCKER_HOST: `unix://${p.socket}` };
  delete env.DOCKER_CONTEXT;
  delete env.DOCKER_TLS_VERIFY;
  delete env.DOCKER_CERT_PATH;
  return env;
}

function dockerRunner(p) {
  return async (args, opts = {}) => {
    try {
      const { stdout } = await pexec(DOCKER_CLI, args, {
        env: dockerEnv(p),
        maxBuffer: 64 << 20,
        timeout: opts.timeout || 120000,
      });
      return stdout;
    } catch (e) {
      const msg = (e.stderr || e.message || '').toString().trim();
      const err = new Error(`docker ${args.join(' ')}: ${msg}`);
      err.stderr = msg;
      throw err;
    }
  };
}

function ping(socket) {
  return new Promise((resolve) => {
    const req = http.get({ socketPath: socket, path: '/_ping', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
  });
}

async function openssl(args, cwd) {
  await pexec('openssl', args, { cwd });
}

/** Lab CA, server cert (127.0.0.1, localhost) and client cert; made once per lab dir. */
async function ensureTls(p) {
  const done = ['ca.pem', 'server-cert.pem', 'server-key.pem'].every((f) => fs.existsSync(path.join(p.tls, f)))
    && ['ca.pem', 'cert.pem', 'key.pem'].every((f) => fs.existsSync(path.join(p.client, f)));
  if (done) return;
  fs.mkdirSync(p.tls, { recursive: true, mode: 0o700 });
  fs.mkdirSync(p.client, { recursive: true, mode: 0o700 });
  const t = p.tls;
  await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '3650', '-subj', '/CN=vDVS lab Docker CA',
    '-keyout', 'ca-key.pem', '-out', 'ca.pem'], t);
  fs.writeFileSync(path.join(t, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  fs.writeFileSync(path.join(t, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'server-key.pem', '-out', 'server.csr'], t);
  await openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-days', '3650',
    '-extfile', 'server.ext', '-out', 'server-cert.pem'], t);
  await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=vdvs-lab-client', '-keyout', 'client-key.pem', '-out', 'client.csr'], t);
  await openssl(['x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-days', '3650',
    '-extfile', 'client.ext', '-out', 'client-cert.pem'], t);
  fs.copyFileSync(path.join(t, 'ca.pem'), path.join(p.client, 'ca.pem'));
  fs.copyFileSync(path.join(t, 'client-cert.pem'), path.join(p.client, 'cert.pem'));
  fs.copyFileSync(path.join(t, 'client-key.pem'), path.join(p.client, 'key.pem'));
  for (const f of ['server-key.pem', 'ca-key.pem', 'client-key.pem']) fs.chmodSync(path.join(t, f), 0o600);
  fs.chmodSync(path.join(p.client, 'key.pem'), 0o600);
}

/** busybox rootfs tar (cached): /bin/busybox + a link per applet. */
async function busyboxTar(ctx) {
  const bb = '/bin/busybox';
  const st = fs.statSync(bb);
  const tar = path.join(ctx.cacheDir, `busybox-rootfs-${st.size}-${Math.floor(st.mtimeMs)}.tar`);
  if (fs.existsSync(tar)) return tar;
  const root = path.join(ctx.labDir, 'docker', 'busybox-rootfs');
  fs.rmSync(root, { recursive: true, force: true });
  for (const d of ['bin', 'etc', 'tmp', 'root', 'proc', 'sys', 'dev', 'vmdk']) fs.mkdirSync(path.join(root, d), { recursive: true });
  fs.copyFileSync(bb, path.join(root, 'bin/busybox'));
  fs.chmodSync(path.join(root, 'bin/busybox'), 0o755);
  const { stdout } = await pexec(bb, ['--list']);
  for (const a of stdout.split('\n').map((s) => s.trim()).filter(Boolean)) {
    if (a === 'busybox') continue;
    try {
      fs.symlinkSync('busybox', path.join(root, 'bin', a));
    } catch {}
  }
  fs.writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  fs.writeFileSync(path.join(root, 'etc/group'), 'root:x:0:\n');
  fs.chmodSync(path.join(root, 'tmp'), 0o1777);
  fs.mkdirSync(ctx.cacheDir, { recursive: true });
  await pexec('tar', ['-C', root, '-cf', `${tar}.tmp`, '.']);
  fs.renameSync(`${tar}.tmp`, tar);
  fs.rmSync(root, { recursive: true, force: true });
  return tar;
}

async function ensureImages(ctx, docker, p) {
  const have = await docker(['image', 'inspect', 'busybox:latest', 'alpine:latest']).then(() => true, () => false);
  if (have) return false;
  const tar = await busyboxTar(ctx);
  await pexec('sh', ['-c', `"${DOCKER_CLI}" import --change 'CMD ["/bin/sh"]' - busybox:latest < "${tar}"`], { env: dockerEnv(p) });
  await docker(['tag', 'busybox:latest', 'alpine:latest']);
  return true;
}

/**
 * Where the ESXi-shell piece keeps "VIB installed / service running / hostd
 * back since" (lab/README.md, "State files"): <chroot>/var/run/vmdkops.state
 * and hostd.away-until. Their directory is bind-mounted into the plugin at
 * /esx-state (a directory, since the files are replaced by rename).
 */
function esxStateSpec(ctx) {
  const st = ctx.info.ssh?.state || {};
  const chroot = ctx.info.ssh?.chroot || path.join(ctx.labDir, 'esxi', 'root');
  const stateFile = st.vmdkopsState || path.join(chroot, 'var/run/vmdkops.state');
  const away = st.hostdAwayUntil || path.join(chroot, 'var/run/hostd.away-until');
  return {
    dir: path.dirname(stateFile),
    stateFile: path.basename(stateFile),
    hostdAwayFile: path.dirname(away) === path.dirname(stateFile) ? path.basename(away) : '',
  };
}

function saveState(p, s) {
  fs.writeFileSync(p.state, JSON.stringify(s, null, 2));
}
function loadState(p) {
  try {
    return JSON.parse(fs.readFileSync(p.state, 'utf8'));
  } catch {
    return {};
  }
}

export async function start(ctx) {
  const p = paths(ctx.labDir);
  for (const d of [p.dir, p.data, p.exec, p.registryDir]) fs.mkdirSync(d, { recursive: true });
  const docker = dockerRunner(p);
  const t0 = Date.now();
  const tlsPromise = ensureTls(p);

  // Build the plugin binary while dockerd comes up (cached by source hash).
  const binaryPromise = ctx.goBuild(BINARY, 'lab/plugin/src', { env: { CGO_ENABLED: '0' }, args: ['-trimpath'] });

  // registry
  const regCfg = path.join(p.registryDir, 'config.yml');
  fs.writeFileSync(regCfg, fs.readFileSync(path.join(ctx.repoRoot, 'lab/docker/registry.yml'), 'utf8')
    .replaceAll('@ROOT@', path.join(p.registryDir, 'storage'))
    .replace('127.0.0.1:5000', REGISTRY));
  const reg = ctx.spawnDaemon('docker-registry', '/usr/bin/docker-registry', ['serve', regCfg]);

  // A fresh Docker host at every start (images kept): the volume records of the previous run
  // name a plugin that is gone (stop removes plugins), and dockerd would spend 15 s per record
  // retrying the lookup. The VMDKs themselves stay on the datastore; List shows them again.
  fs.rmSync(path.join(p.data, 'volumes', 'metadata.db'), { force: true });

  // dockerd
  await tlsPromise;
  try {
    fs.unlinkSync(p.socket);
  } catch {}
  const args = [
    '--config-file', path.join(ctx.repoRoot, 'lab/docker/daemon.json'),
    '--data-root', p.data,
    '--exec-root', p.exec,
    '--pidfile', p.pidfile,
    '-H', `unix://${p.socket}`,
    '-H', `tcp://127.0.0.1:${TCP_PORT}`,
    '--tlsverify',
    '--tlscacert', path.join(p.tls, 'ca.pem'),
    '--tlscert', path.join(p.tls, 'server-cert.pem'),
    '--tlskey', path.join(p.tls, 'server-key.pem'),
  ];
  const env = { ...process.env, PATH: `/usr/sbin:/usr/bin:/sbin:/bin:${process.env.PATH || ''}` };
  delete env.DOCKER_HOST;
  const dd = ctx.spawnDaemon('dockerd', '/usr/sbin/dockerd', args, { env });
  await ctx.waitFor(async () => {
    if (dd.exited()) throw new Error(`dockerd exited (${dd.exitCode()}), see ${dd.logFile}`);
    return ping(p.socket);
  }, 60000, 'dockerd');
  ctx.log(`dockerd up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  const imagesPromise = ensureImages(ctx, docker, p);
  await ctx.waitFor(async () => {
    if (reg.exited()) throw new Error(`docker-registry exited (${reg.exitCode()}), see ${reg.logFile}`);
    const r = await fetch(`http://${REGISTRY}/v2/`).catch(() => null);
    return r && r.ok;
  }, 20000, 'docker-registry');

  // plugin
  const binary = await binaryPromise;
  const vs = ctx.info.vsphere || {};
  const esx = esxStateSpec(ctx);
  fs.mkdirSync(esx.dir, { recursive: true });
  const datastore = vs.datastore || 'datastore1';
  const datastoreDir = vs.datastorePath || path.join(ctx.labDir, 'datastore1');
  fs.mkdirSync(datastoreDir, { recursive: true });
  const pub = await publish({
    ctx,
    docker,
    registry: REGISTRY,
    binary,
    base: {
      datastore,
      datastoreDir,
      esxStateDir: esx.dir,
      esx,
      vsphere: {
        url: vs.url || 'https://127.0.0.1:18989/sdk',
        user: vs.user || 'root',
        password: vs.password || '',
        thumbprint: vs.thumbprint || '',
        vm: vs.vm || 'docker-host-01',
      },
    },
  });
  ctx.log(`plugin: pushed [${pub.pushed.join(', ')}] unchanged [${pub.skipped.join(', ')}]`);
  const imported = await imagesPromise;
  if (imported) ctx.log('imported busybox:latest (also tagged alpine:latest)');

  // installed or not, as asked
  const installed = await docker(['plugin', 'inspect', '--format', '{{.Id}} {{.PluginReference}} {{.Enabled}}', ALIAS]).catch(() => null);
  if (ctx.flags['plugin-preinstalled'] || ctx.flags.pluginPreinstalled) {
    if (installed && !installed.includes(pub.refs.latest)) {
      await docker(['plugin', 'rm', '-f', ALIAS]);
    }
    if (!installed || !installed.includes(pub.refs.latest)) {
      await docker(['plugin', 'install', '--grant-all-permissions', '--alias', ALIAS, pub.refs.latest], { timeout: 120000 });
    } else if (!installed.trim().endsWith('true')) {
      await docker(['plugin', 'enable', ALIAS]);
    }
    ctx.log(`plugin installed as ${ALIAS}`);
  } else if (installed) {
    // a plugin left by an earlier preinstalled lab: the default lab has it only in the registry
    await docker(['plugin', 'rm', '-f', ALIAS]).catch((e) => ctx.log(`warning: ${e.message}`));
  }
  ctx.log(`docker piece ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  return {
    docker: {
      socket: p.socket,
      host: `unix://${p.socket}`,
      cli: DOCKER_CLI,
      tcp: { host: `tcp://127.0.0.1:${TCP_PORT}`, certPath: p.client, tlsVerify: true },
      image: 'alpine:latest',
      images: ['alpine:latest', 'busybox:latest'],
      dataRoot: p.data,
      log: dd.logFile,
    },
    registry: REGISTRY,
    plugin: {
      ref: pub.refs.latest,
      upgradeRef: pub.refs['0.21.3'],
      alias: ALIAS,
      driver: `${ALIAS}:latest`,
      repository: `${REGISTRY}/${REPO}`,
      versions: { latest: '0.21.2', '0.21.3': '0.21.3' },
      logInRootfs: '/var/log/vsphere-storage-for-docker.log',
      esxState: esx,
    },
  };
}

/**
 * Before dockerd gets TERM: remove the containers (their vDVS volumes are unmounted
 * and detached through the plugin while it still runs) and the plugins (the next start
 * is a fresh Docker host; the default lab has the plugin only in the registry).
 */
export async function beforeKill(ctx) {
  const p = paths(ctx.labDir);
  if (!fs.existsSync(p.socket) || !(await ping(p.socket))) return;
  const docker = dockerRunner(p);
  const ids = (await docker(['plugin', 'ls', '-q', '--no-trunc']).catch(() => '')).split('\n').filter(Boolean);
  saveState(p, { ...loadState(p), pluginIds: [...new Set([...(loadState(p).pluginIds || []), ...ids])] });
  const all = (await docker(['ps', '-aq']).catch(() => '')).split('\n').filter(Boolean);
  if (all.length) await docker(['rm', '-f', ...all], { timeout: 60000 }).catch((e) => ctx.log(`warning: ${e.message}`));
  for (const id of ids) await docker(['plugin', 'rm', '-f', id], { timeout: 30000 }).catch((e) => ctx.log(`warning: ${e.message}`));
}

async function sh(cmd, args) {
  try {
    const { stdout } = await pexec(cmd, args, { maxBuffer: 16 << 20 });
    return stdout;
  } catch (e) {
    return e.stdout || '';
  }
}

/** After the PIDs are gone: mounts, loop devices, plugin sockets, stray shims. */
export async function stop(ctx) {
  const p = paths(ctx.labDir);
  const st = loadState(p);
  const pluginDirs = (st.pluginIds || []).map((id) => path.join('/run/docker/plugins', id));

  // containerd shims of this dockerd (they outlive containerd by design)
  const ours = [p.exec, p.data];
  for (const pid of fs.readdirSync('/proc').filter((f) => /^\d+$/.test(f))) {
    let cmdline = '';
    try {
      cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    } catch {
      continue;
    }
    if (/containerd-shim/.test(cmdline) && ours.some((o) => cmdline.includes(o))) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {}
    }
  }

  // mounts under the lab dir and the lab's plugin dirs, deepest first; not the datastores'
  // images, which the vsphere piece unmounts after this (lab/README.md, "Snapshots")
  const prefixes = [ctx.labDir + '/', ...pluginDirs.map((d) => d + '/')];
  const roots = [ctx.labDir, ...pluginDirs];
  const datastores = datastoreDirs(ctx.labDir);
  for (let round = 0; round < 3; round++) {
    const targets = (await sh('findmnt', ['-rn', '-o', 'TARGET']))
      .split('\n')
      .map((s) => s.replace(/\\x20/g, ' '))
      .filter((t) => !datastores.includes(t) && (roots.includes(t) || prefixes.some((pre) => t.startsWith(pre))))
      .sort((a, b) => b.length - a.length);
    if (!targets.length) break;
    for (const t of targets) await sh('umount', ['-l', t]);
  }

  // loop devices whose backing file is a disk file (flat, or the live delta of a snapshot) on a datastore
  const flats = (await sh('find', [...datastores.filter((d) => fs.existsSync(d)), '-xdev', '-name', '*.vmdk', '-type', 'f'])).split('\n').filter(Boolean);
  for (const f of flats) {
    const out = await sh('losetup', ['-j', f]);
    for (const line of out.split('\n').filter(Boolean)) {
      const dev = line.split(':')[0];
      await sh('losetup', ['-d', dev]);
    }
  }

  for (const d of pluginDirs) fs.rmSync(d, { recursive: true, force: true });
  for (const f of [p.socket, p.pidfile]) {
    try {
      fs.unlinkSync(f);
    } catch {}
  }
  saveState(p, { ...st, pluginIds: [] });
}
