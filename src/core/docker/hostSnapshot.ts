import { CallOptions, DockerConnection } from './connection';
import { containersByVolume, DockerContainer, listContainers } from './containers';
import { EngineInfo, engineInfo } from './engine';
import { DEFAULT_PLUGIN_ALIAS, pluginStatus, PluginStatus } from './plugin';
import { parseVolumeName } from '../vdvs/names';
import { DockerVolume, listVolumes } from './volumes';

/** Everything the Docker Hosts view shows of one host, read in one go (5–6 API calls + 1 per volume). */
export interface HostSnapshot {
  engine: EngineInfo;
  plugin: PluginStatus;
  /** The plugin's volumes with Status; undefined when the plugin is not installed or disabled. */
  vsphereVolumes?: DockerVolume[];
  /** Other drivers' volumes, only when asked (the view's "all drivers" toggle). */
  otherVolumes?: DockerVolume[];
  /** Why the volumes could not be listed (the host itself answered). */
  volumesError?: unknown;
  containers: Map<string, DockerContainer[]>;
}

/**
 * Reads a host for the tree. The engine answering is the only hard requirement: a failing volume list
 * becomes `volumesError`. The vsphere driver is never queried while the plugin is disabled, where
 * Docker would retry it for 15 s.
 */
export async function loadHostSnapshot(
  conn: DockerConnection,
  options: CallOptions & { allDrivers?: boolean; alias?: string; reference?: string } = {},
): Promise<HostSnapshot> {
  const [engine, plugin] = await Promise.all([
    engineInfo(conn, options),
    pluginStatus(conn, options.alias ?? DEFAULT_PLUGIN_ALIAS, options.reference, options),
  ]);
  const snapshot: HostSnapshot = { engine, plugin, containers: new Map() };
  const usable = plugin.installed && plugin.enabled ? plugin.name : undefined;
  try {
    const [vsphere, all, containers] = await Promise.all([
      usable ? listVolumes(conn, { ...options, driver: usable, withStatus: true }) : Promise.resolve(undefined),
      // Only local-store data: other drivers' volumes are listed without a per-volume inspect.
      options.allDrivers ? listVolumes(conn, options) : Promise.resolve(undefined),
      listContainers(conn, options),
    ]);
    if (vsphere) snapshot.vsphereVolumes = vsphere;
    if (all) snapshot.otherVolumes = all.filter((v) => v.driver !== usable && !(plugin.installed && v.driver === plugin.name));
    snapshot.containers = joinShortNames(containersByVolume(containers), vsphere ?? []);
  } catch (err) {
    snapshot.volumesError = err;
  }
  return snapshot;
}

/**
 * Docker lists vDVS volumes as `vol@datastore` while a container keeps the name it mounted, often the
 * short `vol`: those containers join the listed volume of that short name when there is just one
 * (the host's VM datastore, which would decide between several, is not known here).
 */
export function joinShortNames(byVolume: Map<string, DockerContainer[]>, vsphereVolumes: DockerVolume[]): Map<string, DockerContainer[]> {
  const joined = new Map(byVolume);
  const byShort = new Map<string, string[]>();
  for (const { name } of vsphereVolumes) {
    const { volume, datastore } = parseVolumeName(name);
    if (datastore) byShort.set(volume, [...(byShort.get(volume) ?? []), name]);
  }
  for (const [short, [full, ...more]] of byShort) {
    const users = byVolume.get(short);
    if (!users || more.length) continue;
    const listed = joined.get(full) ?? [];
    joined.set(full, [...listed, ...users.filter((c) => !listed.some((l) => l.id === c.id))]);
  }
  return joined;
}
