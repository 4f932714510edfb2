import { helperOwner } from '../backup/dockerHelper';
import { describeOwner, ownerState as realOwnerState, OwnerState, RunOwner } from '../backup/runOwner';
import { SNAPSHOT_PREFIX, snapshotOwner } from '../backup/snapshotMode';
import { shellQuote as q } from '../shellQuote';
import { DockerVolumeEntry } from '../vdvs/correlate';
import { fullVolumeName, parseVolumeName } from '../vdvs/names';
import { volumeFacts } from '../vdvs/status';
import { DatastoreLocation, formatDatastorePath } from '../vsphere/datastorePath';
import { govcCommand } from '../vsphere/govc';
import { VmDisk, VmState } from '../vsphere/inventory';
import { DoctorFacts, DockerFacts, EsxiFacts } from './collect';
import { baseDiskPath, DiskGroup, groupDiskFiles } from './diskFiles';
import { Finding, Fix, FixPlan, Severity, Subject } from './findings';

export interface CheckOptions {
  /** Whether a backup run lives (runOwner.ts); tests give their own. */
  ownerState?: (owner: RunOwner) => OwnerState;
  /** The `vdvs doctor` command line fixes print (`vdvs doctor --config FILE`). */
  doctorCommand?: string;
  /** For quarantine folder names; tests fix it. */
  now?: Date;
}

/** A disk group with the ESXi host it was found through. */
interface Disk extends DiskGroup {
  esxi: EsxiFacts;
}

/** A volume as the Docker hosts list it, joined across them by `vol@ds`. */
interface Volume {
  key: string;
  volume: string;
  datastore: string;
  /** Per Docker host that lists it: its entry. */
  listed: Array<{ host: DockerFacts; entry: DockerVolumeEntry }>;
}

interface Holder {
  esxi: EsxiFacts;
  state: VmState;
  disk: VmDisk;
}

/** Every check over facts collected once: attach state, orphans and leftovers, versions. */
export function runChecks(facts: DoctorFacts, options: CheckOptions = {}): Finding[] {
  const ctx = new CheckContext(facts, options);
  return [...ctx.reachability(), ...ctx.attachState(), ...ctx.orphans(), ...ctx.leftovers(), ...ctx.versions()].sort(
    (a, b) => rank(a.severity) - rank(b.severity) || a.id.localeCompare(b.id),
  );
}

function rank(s: Severity): number {
  return s === 'error' ? 0 : s === 'warning' ? 1 : 2;
}

class CheckContext {
  readonly disks: Disk[];
  readonly volumes: Volume[];
  /** Base descriptor path → the VMs whose config has it as a backing. */
  readonly holders = new Map<string, Holder[]>();
  private readonly ownerState: (owner: RunOwner) => OwnerState;
  private readonly doctor: string;
  private readonly now: Date;

  constructor(
    readonly facts: DoctorFacts,
    options: CheckOptions,
  ) {
    this.ownerState = options.ownerState ?? realOwnerState;
    this.doctor = options.doctorCommand ?? 'vdvs doctor --config FILE';
    this.now = options.now ?? new Date();
    this.disks = facts.esxi.flatMap((esxi) => {
      const found = groupDiskFiles(esxi.datastores.flatMap((d) => d.entries));
      return found.map((g) => ({ ...g, esxi }));
    });
    // a datastore seen through a vCenter and one of its hosts: each disk once, the first answer wins
    const unique = new Map<string, Disk>();
    for (const d of this.disks) unique.set(`${d.datastore}/${d.folder}/${d.name}`, unique.get(`${d.datastore}/${d.folder}/${d.name}`) ?? d);
    this.disks = [...unique.values()];
    for (const esxi of facts.esxi)
      for (const state of esxi.vms)
        for (const disk of state.disks) {
          const base = baseDiskPath(disk.fileName);
          if (!base || !disk.isVdvs) continue;
          const list = this.holders.get(base) ?? [];
          if (!list.some((h) => h.state.vm.name === state.vm.name)) list.push({ esxi, state, disk });
          this.holders.set(base, list);
        }
    const volumes = new Map<string, Volume>();
    for (const host of facts.docker)
      for (const entry of host.volumes) {
        const parsed = parseVolumeName(entry.name);
        const datastore = parsed.datastore ?? volumeFacts(entry.status).datastore;
        if (!datastore) continue;
        const key = fullVolumeName(parsed.volume, datastore);
        const v = volumes.get(key) ?? { key, volume: parsed.volume, datastore, listed: [] };
        if (!v.listed.some((l) => l.host.hostId === host.hostId)) v.listed.push({ host, entry });
        volumes.set(key, v);
      }
    this.volumes = [...volumes.values()];
  }

  /** The VMDK a Docker volume is: the default tenant's first (what a Docker host of that tenant sees), else the only one of that name. */
  diskOf(v: Volume): Disk | undefined {
    const named = this.disks.filter((d) => d.descriptor && d.datastore === v.datastore && d.name === v.volume);
    return named.find((d) => d.tenant === '11111111-1111-1111-1111-111111111111') ?? (named.length === 1 ? named[0] : undefined);
  }

  /** The running containers, on any Docker host that lists the volume, that mount it (under either name). */
  runningUsers(v: Volume): Array<{ host: DockerFacts; container: string }> {
    return v.listed.flatMap(({ host, entry }) =>
      host.containers
        .filter(
          (c) => c.state === 'running' && c.mounts.some((m) => m.volume === entry.name || m.volume === v.key || m.volume === v.volume),
        )
        .map((c) => ({ host, container: c.name })),
    );
  }

  *reachability(): Generator<Finding> {
    for (const e of this.facts.esxi) {
      if (e.error)
        yield finding('unreachable', 'error', { kind: 'esxi-host', name: e.hostName }, `Cannot read ESXi host ${e.hostName}`, e.error);
      if (e.vib?.error)
        yield finding(
          'vib-unreadable',
          'warning',
          { kind: 'esxi-host', name: e.hostName },
          `Cannot read the VIB on ${e.hostName}`,
          e.vib.error,
        );
    }
    for (const d of this.facts.docker)
      if (d.error)
        yield finding('unreachable', 'error', { kind: 'docker-host', name: d.hostName }, `Cannot read Docker host ${d.hostName}`, d.error);
  }

  *attachState(): Generator<Finding> {
    for (const v of this.volumes) {
      const facts = volumeFacts(v.listed[0].entry.status);
      const recordAttached = facts.status === 'attached';
      const disk = this.diskOf(v);
      const path = disk?.descriptor ? formatDatastorePath(disk.descriptor) : undefined;
      const holders = path ? (this.holders.get(path) ?? []) : [];
      const users = this.runningUsers(v);
      const subject: Subject = { kind: 'volume', name: v.key };
      const where = facts.attachedToVm ? ` to VM ${facts.attachedToVm}` : '';
      if (recordAttached && !holders.length && disk) {
        const esxiReachable = !disk.esxi.error;
        if (esxiReachable)
          yield finding(
            'attached-no-vm',
            'error',
            subject,
            `${v.key} is recorded as attached${where}, but no VM has its disk`,
            `vDVS's metadata (the sidecar) says attached${where}; no VM's configuration has ${path} as a disk. vDVS then refuses to remove it ("in use by VM") and may refuse to attach it (#1675, #949). Left by a host crash, an HA restart or a VM reset while the volume was mounted.`,
            disk.sidecar ? [this.clearRecordFix(v.key, disk, disk.sidecar)] : [],
          );
      }
      for (const h of holders) {
        if (h.state.vm.powerState === 'poweredOff') {
          yield finding(
            'attached-powered-off',
            'error',
            subject,
            `${v.key} is attached to the powered-off VM ${h.state.vm.name}`,
            `${path} is a disk of ${h.state.vm.name}, which is powered off: no Docker host can mount the volume while it stays attached there (#515, #1675). Detaching it keeps the file and its data.`,
            [this.detachFix(v.key, h, disk)],
          );
          continue;
        }
        const elsewhere = users.filter((u) => u.host.vmName && u.host.vmName !== h.state.vm.name);
        if (elsewhere.length)
          yield finding(
            'attached-other-vm',
            'error',
            subject,
            `${v.key} is attached to ${h.state.vm.name}, but ${elsewhere.map((u) => u.host.hostName).join(', ')} mounts it`,
            `Container(s) ${elsewhere.map((u) => `${u.container} on ${u.host.hostName} (VM ${u.host.vmName})`).join(', ')} use the volume, while the disk belongs to VM ${h.state.vm.name}: their writes do not reach this disk.`,
          );
        else if (!users.length)
          yield finding(
            'attached-unused',
            'warning',
            subject,
            `${v.key} is attached to ${h.state.vm.name} with no container using it`,
            `vDVS attaches a disk while a container mounts it and detaches it after. No running container on a configured Docker host uses ${v.key}, yet ${path} is a disk of ${h.state.vm.name} (the plugin's refcount was lost: "still mounted, refcount=1", #1202, #954). Restarting the plugin (docker plugin disable -f / enable) makes it recount; stop anything else using the disk first.`,
          );
        if (h.disk.diskMode && facts.attachAs && h.disk.diskMode !== facts.attachAs)
          yield finding(
            'disk-mode',
            'warning',
            subject,
            `${v.key} is attached as ${h.disk.diskMode}, its attach-as is ${facts.attachAs}`,
            `${h.state.vm.name} has ${path} in mode ${h.disk.diskMode}; the volume was created with attach-as=${facts.attachAs}. ${h.disk.diskMode.startsWith('independent') ? 'Independent disks are left out of VM snapshots.' : 'A persistent disk is part of VM snapshots (and their delta disks).'}`,
          );
      }
    }
  }

  *orphans(): Generator<Finding> {
    const claimed = new Set(this.volumes.map((v) => this.diskOf(v)).filter((d): d is Disk => !!d));
    const dockerComplete =
      this.facts.docker.length > 0 && this.facts.docker.every((d) => !d.error && d.plugin?.installed && d.plugin.enabled);
    for (const disk of this.disks) {
      if (claimed.has(disk) || disk.esxi.error) continue;
      const path = disk.descriptor ? formatDatastorePath(disk.descriptor) : `[${disk.datastore}] ${disk.folder}/${disk.name}`;
      if (disk.descriptor && (this.holders.get(path) ?? []).length) continue; // in use by a VM: not ours to move
      // a Docker host that could not be read may be the one listing it
      if (!dockerComplete && disk.descriptor) continue;
      yield finding(
        disk.descriptor ? 'orphan-vmdk' : 'orphan-files',
        'warning',
        { kind: 'disk', name: path, host: disk.esxi.hostName },
        disk.descriptor ? `${path} is a volume no Docker host lists` : `Files of a disk ${disk.name} without its descriptor`,
        `${disk.files.length} file(s) (${disk.files.map((f) => f.path.split('/').pop()).join(', ')}; ${disk.bytes} bytes) in [${disk.datastore}] ${disk.folder}. ${disk.descriptor ? 'No configured Docker host lists it: a volume of a removed tenant (vmgroup), a failed create or remove, or a host that is gone (#1031, #990, #1897).' : 'What a failed create or remove leaves.'}`,
        [this.quarantineFix(disk)],
      );
    }
    const scanned = new Set(this.facts.esxi.filter((e) => !e.error).flatMap((e) => e.datastores.map((d) => d.name)));
    for (const v of this.volumes)
      if (!this.diskOf(v) && scanned.has(v.datastore) && !this.disks.some((d) => d.datastore === v.datastore && d.name === v.volume))
        yield finding(
          'vmdk-missing',
          'warning',
          { kind: 'volume', name: v.key },
          `${v.key} is listed by Docker but its VMDK is gone`,
          `${v.listed.map((l) => l.host.hostName).join(', ')} list(s) ${v.key}, but [${v.datastore}] dockvols has no ${v.volume}.vmdk (#2061: an upgrade or a datastore change lost it).`,
        );
  }

  *leftovers(): Generator<Finding> {
    for (const esxi of this.facts.esxi)
      for (const state of esxi.vms)
        for (const s of state.snapshots) {
          if (!s.name.startsWith(SNAPSHOT_PREFIX)) continue;
          const owner = snapshotOwner(s.description);
          const life = owner ? this.ownerState(owner) : 'unknown';
          if (life === 'alive') continue;
          const fix: Fix = {
            id: `remove-snapshot:${esxi.hostName}/${state.vm.name}/${s.name}`,
            label: `Remove snapshot ${s.name} (consolidating)`,
            describe: `Removes the snapshot ${s.name} of VM ${state.vm.name} with consolidation: its delta disks are merged into their base disks, no data is lost; the VM keeps running.`,
            cli: `${govcEnv(esxi)} govc snapshot.remove -vm ${q(state.vm.name)} ${q(s.name)}`,
            plan: { kind: 'remove-snapshot', esxiHostId: esxi.hostId, snapshot: s.ref, vmName: state.vm.name, name: s.name },
          };
          yield finding(
            'leftover-snapshot',
            'warning',
            { kind: 'snapshot', name: `${state.vm.name}/${s.name}`, host: esxi.hostName },
            `Leftover backup snapshot ${s.name} on ${state.vm.name}`,
            `${owner ? `Taken by ${describeOwner(owner)}, which ${life === 'dead' ? 'is no longer running' : 'runs on another machine (cannot be checked from here)'}` : 'Its description names no run'}. While it stays, the VM's persistent disks write into delta disks (-00000N) that grow and block re-attaching them elsewhere (#554, #1649).`,
            life === 'dead' ? [fix] : [],
          );
        }
    for (const disk of this.disks) {
      if (!disk.deltas.length || disk.esxi.error) continue;
      const path = disk.descriptor ? formatDatastorePath(disk.descriptor) : `[${disk.datastore}] ${disk.folder}/${disk.name}`;
      const snapshotted = (this.holders.get(path) ?? []).some((h) => h.state.snapshots.length > 0);
      if (snapshotted) continue;
      yield finding(
        'leftover-delta',
        'warning',
        { kind: 'disk', name: path, host: disk.esxi.hostName },
        `${path} has delta disks but no VM snapshot holds it`,
        `${disk.deltas.map((d) => d.path.split('/').pop()).join(', ')}: left by a snapshot removed without consolidation. vDVS attaches the base disk and misses what the deltas hold (#554, #1649). Consolidate them with vSphere ("Consolidate" on the VM) before using the volume; the doctor does not merge disks itself.`,
      );
    }
    for (const host of this.facts.docker)
      for (const c of host.containers) {
        const owner = helperOwner(c);
        if (!owner || this.ownerState(owner) !== 'dead') continue;
        yield finding(
          'dead-helper',
          'warning',
          { kind: 'container', name: c.name, host: host.hostName },
          `Helper container ${c.name} of a dead backup run`,
          `Started by ${describeOwner(owner)}, which is no longer running; it keeps its volume mounted (${c.mounts.map((m) => m.volume).join(', ') || 'no volume'}), so vDVS keeps the disk attached.`,
          [
            {
              id: `remove-helper:${host.hostName}/${c.name}`,
              label: `Remove container ${c.name}`,
              describe: `Removes the helper container ${c.name} (docker rm -f) on ${host.hostName}; its volume is unmounted by the plugin, the volume and its data stay.`,
              cli: `docker rm -f ${q(c.name)}`,
              plan: { kind: 'remove-helper', dockerHostId: host.hostId, containerId: c.id, name: c.name },
            },
          ],
        );
      }
  }

  *versions(): Generator<Finding> {
    for (const e of this.facts.esxi)
      if (e.vib && !e.vib.error && !e.vib.version)
        yield finding(
          'vib-missing',
          'error',
          { kind: 'esxi-host', name: e.hostName },
          `The vDVS VIB is not installed on ${e.hostName}`,
          'Docker hosts on this ESXi host get "Cannot communicate with ESX" from every volume command. Install the VIB (esxcli software vib install -v …).',
        );
    for (const d of this.facts.docker) {
      if (!d.plugin) continue; // the plugin was read even if a volume's inspect failed
      if (!d.plugin.installed) {
        yield finding(
          'plugin-missing',
          'error',
          { kind: 'docker-host', name: d.hostName },
          `The vDVS plugin is not installed on ${d.hostName}`,
          'docker plugin install --grant-all-permissions --alias vsphere vmware/vsphere-storage-for-docker:<VIB version>',
        );
        continue;
      }
      if (!d.plugin.enabled)
        yield finding(
          'plugin-disabled',
          'warning',
          { kind: 'docker-host', name: d.hostName },
          `The vDVS plugin ${d.plugin.name} is disabled on ${d.hostName}`,
          `docker plugin enable ${d.plugin.name}`,
        );
      const pluginVersion = baseVersion(d.plugin.version);
      const esxiHosts = this.facts.esxi.filter((e) => e.vib?.version && (!d.esxiHostId || e.hostId === d.esxiHostId));
      for (const e of esxiHosts) {
        const vib = baseVersion(e.vib!.version!);
        if (vib === pluginVersion) continue;
        const reference = d.plugin.reference.replace(/:[^/:]*$/, '') + `:${vib}`;
        const newerVib = compareVersions(vib, pluginVersion) > 0;
        yield finding(
          'version-mismatch',
          'error',
          { kind: 'docker-host', name: d.hostName },
          `Plugin ${pluginVersion} on ${d.hostName}, VIB ${vib} on ${e.hostName}`,
          `The plugin and the ESXi service talk a versioned protocol; different releases fail with "Device not found" or a protocol mismatch (#2023). ${newerVib ? `Upgrading the plugin to ${vib} makes them match.` : `Install VIB ${pluginVersion} on ${e.hostName}, or install plugin ${vib}.`}`,
          newerVib
            ? [
                {
                  id: `upgrade-plugin:${d.hostName}`,
                  label: `Upgrade the plugin on ${d.hostName} to ${vib}`,
                  describe: `Upgrades the plugin ${d.plugin.name} to ${reference} the way vDVS documents it (docker plugin disable -f, upgrade, enable; never remove and install, which loses the volumes, #2061). Stop the containers that use its volumes first. Volumes and their data are untouched.`,
                  cli: `docker plugin disable -f ${q(d.plugin.name)} && docker plugin upgrade --grant-all-permissions ${q(d.plugin.name)} ${q(reference)} && docker plugin enable ${q(d.plugin.name)}`,
                  plan: { kind: 'upgrade-plugin', dockerHostId: d.hostId, plugin: d.plugin.name, reference },
                },
              ]
            : [],
        );
      }
    }
  }

  private clearRecordFix(key: string, disk: Disk, sidecar: DatastoreLocation): Fix {
    return {
      id: `clear-record:${key}`,
      label: `Clear the stale attached record of ${key}`,
      describe: `Rewrites the vDVS metadata of ${key} (${formatDatastorePath(sidecar)}) the way vDVS does on detach (vmdk_ops.py setStatusDetached): status "detached", the attached VM's UUID, name and device removed; options and creation facts kept. The disk and its data are not touched.`,
      cli: `${this.doctor} --fix ${q(`clear-record:${key}`)} --yes`,
      plan: { kind: 'clear-record', esxiHostId: disk.esxi.hostId, datacenter: disk.esxi.datacenter?.name ?? 'ha-datacenter', sidecar },
    };
  }

  private detachFix(key: string, h: Holder, disk: Disk | undefined): Fix {
    const plan: FixPlan = {
      kind: 'detach-disk',
      esxiHostId: h.esxi.hostId,
      vm: h.state.vm.ref,
      vmName: h.state.vm.name,
      disk: {
        key: h.disk.key,
        fileName: h.disk.fileName,
        diskMode: h.disk.diskMode,
        capacityBytes: h.disk.capacityBytes,
        ...(h.disk.controllerKey !== undefined ? { controllerKey: h.disk.controllerKey } : {}),
        ...(h.disk.unitNumber !== undefined ? { unitNumber: h.disk.unitNumber } : {}),
      },
      ...(disk?.sidecar ? { sidecar: disk.sidecar } : {}),
      datacenter: h.esxi.datacenter?.name ?? 'ha-datacenter',
    };
    return {
      id: `detach-disk:${key}`,
      label: `Detach ${key} from ${h.state.vm.name}, keeping the file`,
      describe: `Removes "${h.disk.label}" (${h.disk.fileName}) from the configuration of the powered-off VM ${h.state.vm.name}, keeping the VMDK and its data (no file operation), then marks the volume detached in its vDVS metadata as vDVS's detach does.`,
      cli: `${govcEnv(h.esxi)} govc device.remove -vm ${q(h.state.vm.name)} -keep ${q(h.disk.label)}`,
      plan,
    };
  }

  private quarantineFix(disk: Disk): Fix {
    const stamp = this.now
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z');
    const to: DatastoreLocation = { datastore: disk.datastore, path: `.quarantine/${disk.folder}/${disk.name}-${stamp}` };
    const subject = disk.descriptor ? formatDatastorePath(disk.descriptor) : `[${disk.datastore}] ${disk.folder}/${disk.name}`;
    return {
      id: `quarantine:${subject}`,
      label: `Quarantine ${disk.name} (${disk.files.length} file(s))`,
      describe: `Moves ${disk.files.map((f) => f.path.split('/').pop()).join(', ')} to ${formatDatastorePath(to)} on the same datastore, with a note of where they came from (QUARANTINE.txt). Nothing is deleted: move them back, or delete the folder once sure.`,
      cli: disk.files
        .map(
          (f) =>
            `${govcEnv(disk.esxi)} govc datastore.mv -ds ${q(disk.datastore)} ${q(f.path)} ${q(`${to.path}/${f.path.split('/').pop()}`)}`,
        )
        .join(' && '),
      plan: {
        kind: 'quarantine',
        esxiHostId: disk.esxi.hostId,
        datacenter: disk.esxi.datacenter?.name ?? 'ha-datacenter',
        files: disk.files,
        to,
      },
    };
  }
}

function finding(check: string, severity: Severity, subject: Subject, title: string, detail: string, fixes: Fix[] = []): Finding {
  return { id: `${check}:${subject.host ? `${subject.host}/` : ''}${subject.name}`, check, severity, title, detail, subject, fixes };
}

function govcEnv(esxi: EsxiFacts): string {
  return govcCommand(esxi.config, { kind: 'datacenter', datacenter: esxi.datacenter?.name ?? 'ha-datacenter' }).replace(/ govc .*$/, '');
}

/** `0.21.2-0.0.1` (a VIB's version-build) → `0.21.2`; a tag `v0.21.2` → `0.21.2`. */
export function baseVersion(v: string): string {
  return v.replace(/^v/, '').replace(/-.*$/, '');
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] || 0) - (pb[i] || 0);
    if (d) return d;
  }
  return 0;
}
