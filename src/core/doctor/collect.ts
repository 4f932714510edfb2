import { DockerHostConfig, EsxiHostConfig } from '../config';
import { DockerConnection } from '../docker/connection';
import { DockerContainer, listContainers } from '../docker/containers';
import { pluginAliasOf, pluginStatus, PluginStatus } from '../docker/plugin';
import { readVibStatus } from '../esx/vibFlow';
import { errorMessage } from '../errors';
import { SshSession } from '../ssh/shellSession';
import { DockerVolumeEntry } from '../vdvs/correlate';
import { listVsphereVolumes } from '../vdvs/inventory';
import { DatastoreEntry, searchDatastore } from '../vsphere/datastoreBrowser';
import { DOCKVOLS } from '../vsphere/datastorePath';
import { listDatacenters, listDatastores, listVmStates, VmState } from '../vsphere/inventory';
import { MoRef } from '../vsphere/normalize';
import { VsphereSession } from '../vsphere/session';

/** One configured ESXi host or vCenter, as the doctor reaches it. */
export interface EsxiTarget {
  config: EsxiHostConfig;
  session: () => Promise<VsphereSession>;
  /** Its ESXi shell, when SSH is configured: for the VIB. */
  ssh?: () => Promise<SshSession>;
}

/** One configured Docker host. */
export interface DockerTarget {
  host: DockerHostConfig;
  /** Its connection, opened on first use (a host that cannot be reached is a finding, not the end of the run). */
  connection: () => Promise<DockerConnection>;
  /** The name of the VM that runs it (the config's `vm`), to tell "attached to another VM". */
  vmName?: string;
}

export interface DoctorTargets {
  esxi: EsxiTarget[];
  docker: DockerTarget[];
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface EsxiFacts {
  hostId: string;
  hostName: string;
  config: EsxiHostConfig;
  /** The datacenter paths resolve against (`ha-datacenter` on a standalone ESXi). */
  datacenter?: { ref: MoRef; name: string };
  datastores: { name: string; entries: DatastoreEntry[] }[];
  vms: VmState[];
  /** undefined: no SSH configured; else the installed VIB version (undefined: not installed) or why it could not be read. */
  vib?: { version?: string; error?: string };
  error?: string;
}

export interface DockerFacts {
  hostId: string;
  hostName: string;
  vmName?: string;
  /** The ESXi host (config id) that runs its VM, when the config says: its VIB is the one to match. */
  esxiHostId?: string;
  volumes: DockerVolumeEntry[];
  containers: DockerContainer[];
  plugin?: PluginStatus;
  error?: string;
}

export interface DoctorFacts {
  esxi: EsxiFacts[];
  docker: DockerFacts[];
}

/**
 * Reads everything the checks need, once. Per ESXi host the vSphere round trips do not grow with the
 * number of volumes: the datacenters, the datastores and every VM with its disks, UUIDs and snapshots
 * (one RetrievePropertiesEx each, plus their container views the first time), then one sub-folder
 * search of `dockvols` per datastore (its task polled until done), all files included so that
 * extents, deltas and sidecars can be grouped per disk. The Docker side is issue 6's listing (volumes,
 * their vDVS status, containers) and the plugin.
 */
export async function collectFacts(targets: DoctorTargets): Promise<DoctorFacts> {
  const [esxi, docker] = await Promise.all([
    Promise.all(targets.esxi.map((t) => collectEsxi(t, targets))),
    Promise.all(targets.docker.map((t) => collectDocker(t, targets))),
  ]);
  return { esxi, docker };
}

async function collectEsxi(target: EsxiTarget, targets: DoctorTargets): Promise<EsxiFacts> {
  const { signal } = targets;
  const facts: EsxiFacts = { hostId: target.config.id, hostName: target.config.name, config: target.config, datastores: [], vms: [] };
  const vib = target.ssh ? readVib(target.ssh, targets) : undefined;
  try {
    const session = await target.session();
    const root = session.serviceContent.rootFolder;
    const [datacenters, datastores, vms] = await Promise.all([
      listDatacenters(session, signal),
      listDatastores(session, root, signal),
      listVmStates(session, root, signal),
    ]);
    facts.datacenter = datacenters[0];
    facts.vms = vms;
    const usable = datastores.filter((ds) => ds.accessible && ds.browser);
    facts.datastores = await Promise.all(
      usable.map(async (ds) => ({
        name: ds.name,
        entries: await searchDatastore(
          session,
          ds.browser!,
          { datastore: ds.name, path: DOCKVOLS },
          { subFolders: true, allFiles: true },
          signal,
        ),
      })),
    );
  } catch (err) {
    facts.error = errorMessage(err);
  }
  if (vib) facts.vib = await vib;
  return facts;
}

async function readVib(open: () => Promise<SshSession>, targets: DoctorTargets): Promise<{ version?: string; error?: string }> {
  try {
    const session = await open();
    const status = await readVibStatus({ session, timeoutMs: targets.timeoutMs, signal: targets.signal });
    return status.installed ? { version: status.installed.version } : {};
  } catch (err) {
    return { error: errorMessage(err) };
  }
}

async function collectDocker(target: DockerTarget, targets: DoctorTargets): Promise<DockerFacts> {
  const { host } = target;
  const facts: DockerFacts = {
    hostId: host.id,
    hostName: host.name,
    ...(target.vmName ? { vmName: target.vmName } : {}),
    ...(host.esxiHostId ? { esxiHostId: host.esxiHostId } : {}),
    volumes: [],
    containers: [],
  };
  const options = { signal: targets.signal };
  try {
    const conn = await target.connection();
    const [plugin, containers] = await Promise.all([
      pluginStatus(conn, pluginAliasOf(conn), undefined, options),
      listContainers(conn, options),
    ]);
    facts.plugin = plugin;
    facts.containers = containers;
    if (plugin.installed && plugin.enabled) {
      const inventory = await listVsphereVolumes(conn, options);
      facts.volumes = inventory.entries;
      if (inventory.failures.length)
        facts.error = `inspect failed for ${inventory.failures.map((f) => `${f.name} (${f.message})`).join(', ')}`;
    }
  } catch (err) {
    facts.error = errorMessage(err);
  }
  return facts;
}
