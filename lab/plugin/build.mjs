// Build the stand-in vDVS managed plugin and publish it to the lab registry.
//
//   binary  : lab/plugin/src (Go, stdlib + Debian's govmomi), static, cached by source hash
//   rootfs  : the binary, /etc/vsphere-storage-for-docker.conf (vcsim URL, credentials,
//             thumbprint, ESXi-shell state paths baked in), Debian's mke2fs with its
//             libraries (mkfs.ext2/3/4: the plugin formats volumes itself, as vDVS does),
//             Debian's mkfs.xfs with its libraries (xfsprogs, as in the real image),
//             mount points /mnt/vmdk, /vmfs/volumes/<ds>, /esx-state
//   publish : docker plugin create REF DIR; docker plugin push REF; docker plugin rm REF
//             for :latest (VDVS_VERSION 0.21.2) and :0.21.3 (same binary, other version)
//
// Used by lab/pieces/docker.mjs; also runnable alone for debugging:
//   node lab/plugin/build.mjs <labDir>   (needs a running lab)
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const pexec = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
export const BINARY = 'vsphere-storage-for-docker';
export const REPO = 'vmware/vsphere-storage-for-docker';
export const TAGS = [
  { tag: 'latest', version: '0.21.2' },
  { tag: '0.21.3', version: '0.21.3' },
];

function copyWithLibs(bin, rootfs) {
  // bin and the shared libraries ldd lists, at the same paths in the rootfs
  const files = [bin];
  const out = execFileSyncText('ldd', [bin]);
  for (const line of out.split('\n')) {
    const m = line.match(/(\/[^\s]+)\s+\(0x/);
    if (m) files.push(m[1]);
  }
  for (const f of files) {
    const real = fs.realpathSync(f);
    const dst = path.join(rootfs, f);
    fs.mkdirSync(path.dirname(dst), { recursive: true });
    fs.copyFileSync(real, dst);
    fs.chmodSync(dst, 0o755);
  }
}

function execFileSyncText(cmd, args) {
  return execFileSync(cmd, args, { encoding: 'utf8' });
}

/**
 * Assemble the plugin directory (config.json + rootfs/) for one tag.
 * opts: { binary, dir, version, datastore, datastoreDir, esxStateDir, esx: {...}, vsphere: {...} }
 */
export function assemble(opts) {
  const { dir } = opts;
  fs.rmSync(dir, { recursive: true, force: true });
  const rootfs = path.join(dir, 'rootfs');
  for (const d of ['usr/bin', 'sbin', 'etc', 'mnt/vmdk', `vmfs/volumes/${opts.datastore}`, 'esx-state',
    'run/docker/plugins', 'var/log', 'dev', 'proc', 'sys', 'tmp']) {
    fs.mkdirSync(path.join(rootfs, d), { recursive: true });
  }
  fs.copyFileSync(opts.binary, path.join(rootfs, 'usr/bin', BINARY));
  fs.chmodSync(path.join(rootfs, 'usr/bin', BINARY), 0o755);
  copyWithLibs('/usr/sbin/mke2fs', rootfs);
  // vDVS finds the file systems it supports by globbing mkfs.* in /bin /sbin /usr/bin /usr/sbin
  for (const t of ['ext2', 'ext3', 'ext4']) fs.symlinkSync('/usr/sbin/mke2fs', path.join(rootfs, 'sbin', `mkfs.${t}`));
  if (fs.existsSync('/etc/mke2fs.conf')) fs.copyFileSync('/etc/mke2fs.conf', path.join(rootfs, 'etc/mke2fs.conf'));
  // the real plugin image has xfsprogs: Debian's mkfs.xfs (host package xfsprogs) with its libraries
  copyWithLibs('/usr/sbin/mkfs.xfs', rootfs);
  fs.writeFileSync(path.join(rootfs, 'etc/group'), 'root:x:0:\ndocker:x:999:\n');
  fs.writeFileSync(path.join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/:/bin/false\n');
  const conf = {
    Driver: 'vsphere',
    LogPath: '/var/log/vsphere-storage-for-docker.log',
    LogLevel: 'info',
    GroupID: 'root',
    Lab: {
      VsphereURL: opts.vsphere.url,
      User: opts.vsphere.user,
      Password: opts.vsphere.password,
      Thumbprint: opts.vsphere.thumbprint || '',
      VMName: opts.vsphere.vm || 'docker-host-01',
      DefaultDatastore: opts.datastore,
      VolumesRoot: '/vmfs/volumes',
      EsxStateDir: opts.esxStateDir ? '/esx-state' : '',
      EsxStateFile: opts.esx.stateFile || '',
      EsxHostdAwayFile: opts.esx.hostdAwayFile || '',
      EsxRetries: opts.esx.retries ?? 5,
      EsxRetrySleepMs: opts.esx.retrySleepMs ?? 1000,
      Version: opts.version,
    },
  };
  fs.writeFileSync(path.join(rootfs, 'etc', `${BINARY}.conf`), JSON.stringify(conf, null, 2) + '\n', { mode: 0o600 });
  let cfg = fs.readFileSync(path.join(here, 'config.json'), 'utf8');
  cfg = cfg
    .replaceAll('@DATASTORE_DIR@', opts.datastoreDir)
    .replaceAll('@DATASTORE@', opts.datastore)
    .replaceAll('@ESX_STATE_DIR@', opts.esxStateDir || path.join(dir, 'no-esx-state'))
    .replaceAll('@VERSION@', opts.version);
  if (!opts.esxStateDir) fs.mkdirSync(path.join(dir, 'no-esx-state'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'config.json'), cfg);
  return { rootfs, config: JSON.parse(cfg), conf };
}

/** Hash of what ends up in the registry for a tag (to skip a re-push). */
export function contentHash(binary, assembled) {
  const h = createHash('sha256');
  h.update(fs.readFileSync(binary));
  h.update(JSON.stringify(assembled.config));
  h.update(JSON.stringify(assembled.conf));
  return h.digest('hex').slice(0, 16);
}

/**
 * Build, assemble and publish every tag. docker(args) runs /usr/bin/docker against the lab daemon.
 * Returns { refs: {tag: ref}, pushed: [tags], skipped: [tags] }.
 */
export async function publish({ ctx, docker, registry, binary, base }) {
  const workDir = path.join(ctx.labDir, 'docker', 'plugin-build');
  const markerFile = path.join(ctx.labDir, 'registry', 'published.json');
  let markers = {};
  try {
    markers = JSON.parse(fs.readFileSync(markerFile, 'utf8'));
  } catch {}
  const refs = {};
  const pushed = [];
  const skipped = [];
  for (const { tag, version } of TAGS) {
    const ref = `${registry}/${REPO}:${tag}`;
    refs[tag] = ref;
    const dir = path.join(workDir, tag);
    const assembled = assemble({ ...base, binary, dir, version });
    const hash = contentHash(binary, assembled);
    if (markers[ref] === hash && (await manifestExists(registry, tag))) {
      skipped.push(tag);
      fs.rmSync(dir, { recursive: true, force: true });
      continue;
    }
    await docker(['plugin', 'rm', '-f', ref]).catch(() => {});
    await docker(['plugin', 'create', ref, dir]);
    await docker(['plugin', 'push', ref]);
    await docker(['plugin', 'rm', '-f', ref]);
    fs.rmSync(dir, { recursive: true, force: true });
    markers[ref] = hash;
    fs.writeFileSync(markerFile, JSON.stringify(markers, null, 2));
    pushed.push(tag);
  }
  return { refs, pushed, skipped };
}

async function manifestExists(registry, tag) {
  try {
    const res = await fetch(`http://${registry}/v2/${REPO}/manifests/${tag}`, {
      method: 'HEAD',
      headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' },
    });
    return res.ok;
  } catch {
    return false;
  }
}

export { pexec };
