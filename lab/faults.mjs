// Faults: `node lab/lab.mjs fault <name> [VOL]` puts the running lab into a state vDVS leaves behind,
// reaching it the way vDVS does (through the plugin stand-in, vcsim and the ESXi shell), for the doctor
// (src/core/doctor) to find and fix. Prints a JSON line with what it made. Node builtins only.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { readLabInfo } from './labInfo.mjs';

export const FAULTS = [
  'stale-attach',
  'stale-attach-off',
  'orphan-vmdk',
  'leftover-snapshot',
  'dead-helper',
  'version-mismatch',
  'power-on',
];
const DEFAULT_TENANT = '11111111-1111-1111-1111-111111111111';

export async function fault(name, vol) {
  const lab = readLabInfo();
  const f = {
    'stale-attach': staleAttach,
    'stale-attach-off': staleAttachOff,
    'power-on': powerOn,
    'orphan-vmdk': orphanVmdk,
    'leftover-snapshot': leftoverSnapshot,
    'dead-helper': deadHelper,
    'version-mismatch': versionMismatch,
  }[name];
  if (!f) throw new Error(`unknown fault ${name}; faults: ${FAULTS.join(', ')}`);
  if (!['version-mismatch', 'power-on'].includes(name) && !vol) throw new Error(`fault ${name} needs a volume name`);
  const made = await f(lab, vol);
  process.stdout.write(`${JSON.stringify({ fault: name, ...made })}\n`);
  return 0;
}

function docker(lab, ...args) {
  return execFileSync(lab.docker.cli || '/usr/bin/docker', ['-H', lab.docker.host, ...args], { encoding: 'utf8', timeout: 180_000 }).trim();
}

function ensureVolume(lab, vol, opts = []) {
  const exists =
    spawnSync(lab.docker.cli || '/usr/bin/docker', ['-H', lab.docker.host, 'volume', 'inspect', vol], { encoding: 'utf8' }).status === 0;
  if (!exists) docker(lab, 'volume', 'create', `--driver=${lab.plugin.alias}`, `--name=${vol}`, ...opts.flatMap((o) => ['-o', o]));
}

/** The files of a volume in the default tenant's folder: descriptor, flat, sidecar (as the plugin names them). */
function volumeFiles(lab, vol, tenant = DEFAULT_TENANT) {
  const dir = path.join(lab.vsphere.datastorePath, 'dockvols', tenant);
  const sidecar = fs.readdirSync(dir).find((f) => f.startsWith(`${vol}-`) && /^-[0-9a-f]{16}\.vmfd$/.test(f.slice(vol.length)));
  return {
    dir,
    descriptor: path.join(dir, `${vol}.vmdk`),
    flat: path.join(dir, `${vol}-flat.vmdk`),
    sidecar: sidecar && path.join(dir, sidecar),
  };
}

/**
 * The VM reset while the volume was mounted: the plugin attached the disk (ReconfigVM, sidecar
 * "attached"), the detach that followed reached the VM, but the metadata write was lost (vmdk_ops.py
 * disk_detach_int: a failed setStatusDetached only logs "Detach: Failed to save Disk metadata").
 * The sidecar says attached to docker-host-01; no VM has the disk.
 */
function staleAttach(lab, vol) {
  ensureVolume(lab, vol);
  const container = `vdvs-fault-${vol}`;
  docker(lab, 'run', '-d', '--name', container, '-v', `${vol}:/data`, lab.docker.image || 'alpine:latest', 'sleep', '1d');
  const { sidecar } = volumeFiles(lab, vol);
  const attached = fs.readFileSync(sidecar);
  docker(lab, 'rm', '-f', container);
  fs.writeFileSync(sidecar, attached);
  return { volume: vol, sidecar, record: JSON.parse(attached.toString('utf8').trim()) };
}

/**
 * The Docker host VM powered off (its ESXi host crashed, HA has not restarted it) while the volume was
 * attached: the disk is still a device of the VM (vmdk_ops.py disk_attach's ReconfigVM, with the unit
 * the plugin used) and the sidecar says attached. Made as stale-attach, then the disk attached again as
 * vDVS attaches it and the VM powered off. `fault power-on` powers it on again.
 */
async function staleAttachOff(lab, vol) {
  const made = staleAttach(lab, vol);
  const unit = Number(made.record.attachedVMDevice?.Unit ?? 1);
  const file = `[${lab.vsphere.datastore}] dockvols/${DEFAULT_TENANT}/${vol}.vmdk`;
  const soap = await vimSession(lab.vsphere);
  const xsi = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';
  await soap.task(
    'ReconfigVM_Task',
    `<_this type="VirtualMachine">${lab.vsphere.vmRef}</_this><spec><deviceChange><operation>add</operation>` +
      `<device xsi:type="VirtualDisk" ${xsi}><key>-1</key><backing xsi:type="VirtualDiskFlatVer2BackingInfo"><fileName>${xml(file)}</fileName>` +
      `<diskMode>independent_persistent</diskMode></backing><controllerKey>202</controllerKey><unitNumber>${unit}</unitNumber><capacityInKB>0</capacityInKB></device>` +
      `</deviceChange></spec>`,
  );
  await soap.task('PowerOffVM_Task', `<_this type="VirtualMachine">${lab.vsphere.vmRef}</_this>`);
  return { ...made, vm: lab.vsphere.vm, unit, poweredOff: true };
}

/** Powers the lab's Docker host VM on again (after stale-attach-off). */
async function powerOn(lab) {
  const soap = await vimSession(lab.vsphere);
  await soap.task('PowerOnVM_Task', `<_this type="VirtualMachine">${lab.vsphere.vmRef}</_this>`);
  return { vm: lab.vsphere.vm, poweredOn: true };
}

/**
 * A VMDK no Docker host lists: the volume of a vmgroup (tenant) that was removed without its volumes
 * (vmdkops_admin vmgroup rm keeps dockvols/<uuid>), made by the plugin and left in that tenant's folder.
 */
function orphanVmdk(lab, vol) {
  ensureVolume(lab, vol);
  const from = volumeFiles(lab, vol);
  const tenant = `${randomBytes(4).toString('hex')}-0000-4000-8000-${randomBytes(6).toString('hex')}`;
  const dir = path.join(lab.vsphere.datastorePath, 'dockvols', tenant);
  fs.mkdirSync(dir, { recursive: true });
  for (const f of [from.descriptor, from.flat, from.sidecar]) execFileSync('cp', ['--sparse=always', f, path.join(dir, path.basename(f))]);
  docker(lab, 'volume', 'rm', vol);
  return { volume: vol, tenant, dir, flat: path.join(dir, `${vol}-flat.vmdk`) };
}

/**
 * A backup run killed while its snapshot existed: a `vdvs-backup-<run>-<time>` snapshot of the Docker
 * host VM whose description names a run (src/core/backup/snapshotMode.ts) whose process is gone, taken
 * while a persistent volume was mounted, so the volume has a delta disk (lab/vcsim/snapshots.go).
 */
async function leftoverSnapshot(lab, vol) {
  ensureVolume(lab, vol, ['attach-as=persistent']);
  const container = `vdvs-fault-${vol}`;
  docker(lab, 'run', '-d', '--name', container, '-v', `${vol}:/data`, lab.docker.image || 'alpine:latest', 'sleep', '1d');
  const owner = deadOwner();
  const name = `vdvs-backup-${owner.runId}-${new Date().toISOString().replace(/[-:.]/g, '')}`;
  const description = `vdvs backup of ${vol}; safe to remove if left behind. Run: ${JSON.stringify(owner)}`;
  const soap = await vimSession(lab.vsphere);
  await soap.call(
    'CreateSnapshot_Task',
    `<_this type="VirtualMachine">${lab.vsphere.vmRef}</_this><name>${name}</name><description>${xml(description)}</description><memory>false</memory><quiesce>false</quiesce>`,
  );
  const delta = path.join(volumeFiles(lab, vol).dir, `${vol}-000001-delta.vmdk`);
  for (let i = 0; i < 200 && !fs.existsSync(delta); i++) await sleep(50);
  if (!fs.existsSync(delta)) throw new Error(`the snapshot made no delta disk ${delta}`);
  return { volume: vol, container, snapshot: name, delta, owner };
}

/** A helper container of a backup run that was killed: labelled as src/core/backup/dockerHelper.ts labels them, running, its run gone. */
function deadHelper(lab, vol) {
  ensureVolume(lab, vol);
  const owner = deadOwner();
  const name = `vdvs-backup-helper-${owner.runId}`;
  docker(
    lab,
    'run',
    '-d',
    '--name',
    name,
    '--label',
    `vdvs.backup.helper=${vol}`,
    '--label',
    `vdvs.backup.run=${owner.runId}`,
    '--label',
    `vdvs.backup.owner=${JSON.stringify(owner)}`,
    '-v',
    `${vol}:/data`,
    lab.docker.image || 'alpine:latest',
    'tail',
    '-f',
    '/dev/null',
  );
  return { volume: vol, container: name, owner };
}

/** A second VIB version: the ESXi host is upgraded (esxcli software vib install -v, as an admin does) and the plugin is not. */
async function versionMismatch(lab) {
  const vib = lab.vib.variants.upgrade;
  const remote = `/tmp/${path.basename(vib.path)}`;
  fs.copyFileSync(vib.path, path.join(lab.ssh.chroot, remote));
  const out = esxiShell(lab, 'esxcli', 'software', 'vib', 'install', '-v', remote);
  // the documented install: hostd restarted after it, then the service runs the new version
  esxiShell(lab, '/etc/init.d/hostd', 'restart');
  const state = path.join(lab.ssh.chroot, 'var/run/vmdkops.state');
  const up = () => {
    const text = fs.readFileSync(state, 'utf8');
    return /service=running/.test(text) && Number(/since=(\d+)/.exec(text)?.[1] ?? 0) <= Date.now() / 1000;
  };
  for (let i = 0; i < 600 && !up(); i++) await sleep(100);
  return { vib: vib.version, plugin: lab.plugin.versions.latest, esxcli: out.trim().split('\n').slice(0, 3).join(' | ') };
}

function esxiShell(lab, ...argv) {
  const ssh = lab.ssh;
  const opts = ['-p', String(ssh.port), '-i', ssh.keyPath, '-o', `UserKnownHostsFile=${ssh.knownHostsPath}`, '-o', 'BatchMode=yes'];
  return execFileSync('ssh', [...opts, `${ssh.user}@${ssh.host}`, ...argv], { encoding: 'utf8', timeout: 120_000 });
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/** A run owner (src/core/backup/runOwner.ts) of this machine whose process has ended. */
function deadOwner() {
  const r = spawnSync('true');
  return { runId: randomBytes(6).toString('hex'), host: os.hostname(), pid: r.pid };
}

function xml(s) {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A logged-in vim25 SOAP session on a lab vcsim, raw XML (the lab needs no npm packages). */
async function vimSession(vs) {
  const url = new URL(vs.url);
  let cookie = '';
  const post = (body) =>
    new Promise((resolve, reject) => {
      const envelope = `<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:vim25"><soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`;
      const req = https.request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          ca: vs.certPem,
          headers: { 'Content-Type': 'text/xml', SOAPAction: 'urn:vim25/6.0', ...(cookie ? { Cookie: cookie } : {}) },
        },
        (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => {
            const set = res.headers['set-cookie']?.[0];
            if (set) cookie = set.split(';')[0];
            if (res.statusCode !== 200) reject(new Error(`vcsim: HTTP ${res.statusCode}: ${text.slice(0, 300)}`));
            else resolve(text);
          });
        },
      );
      req.on('error', reject);
      req.end(envelope);
    });
  await post(
    `<Login><_this type="SessionManager">ha-sessionmgr</_this><userName>${xml(vs.user)}</userName><password>${xml(vs.password)}</password></Login>`,
  );
  const call = (op, inner) => post(`<${op}>${inner}</${op}>`);
  /** Starts a task and waits until its info.state is success (throws its fault's text on error). */
  const task = async (op, inner) => {
    const ref = />([^<]+)<\/returnval>/.exec(await call(op, inner))?.[1];
    if (!ref) throw new Error(`${op} returned no task`);
    for (let i = 0; i < 600; i++) {
      const info = await call(
        'RetrievePropertiesEx',
        `<_this type="PropertyCollector">ha-property-collector</_this><specSet><propSet><type>Task</type><pathSet>info.state</pathSet></propSet>` +
          `<objectSet><obj type="Task">${ref}</obj></objectSet></specSet><options/>`,
      );
      if (/>success</.test(info)) return;
      if (/>error</.test(info)) throw new Error(`${op} failed: ${info.slice(0, 500)}`);
      await sleep(50);
    }
    throw new Error(`${op} did not finish`);
  };
  return { call, task };
}
