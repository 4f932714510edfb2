import { DockerHostConfig } from '../config';
import { DockerConnection } from '../docker/connection';
import { containersByVolume, listContainers } from '../docker/containers';
import { DockerError } from '../docker/dockerErrors';
import { isPluginDriver, pluginAliasOf } from '../docker/plugin';
import { inspectVolume } from '../docker/volumes';
import { errorMessage } from '../errors';
import { VsphereSession } from '../vsphere/session';
import { AdminVolume, statusOfAdminVolume } from './adminVolumes';
import { correlate, DockerVolumeEntry, VolumeRow } from './correlate';
import { EsxiSide, mergeEsxiSides, readEsxiSide } from './esxiSide';
import { HostInventory, listVsphereVolumes } from './inventory';
import { volumeFromDatastorePath } from './layout';
import { fullVolumeName, parseVolumeName } from './names';

/** Where the Volumes view's data comes from: the configured hosts, opened by the caller's rules. */
export interface VolumeSources {
  /** Docker hosts, each with a way to run calls on its connection (the extension's pool, or one opened for the call). */
  docker: Array<{ host: DockerHostConfig; use: <T>(work: (conn: DockerConnection) => Promise<T>) => Promise<T> }>;
  /** ESXi hosts and vCenters; sessions are shared with the ESXi view, so they are not closed here. */
  esxi: Array<{
    id: string;
    name: string;
    session: () => Promise<VsphereSession>;
    /** With SSH set up: `vmdkops_admin.py volume ls` on the host, every volume's Status in one call. */
    adminVolumes?: (signal?: AbortSignal) => Promise<AdminVolume[]>;
  }>;
}

/** One Docker host's way to run calls, as in VolumeSources. */
export type DockerSource = VolumeSources['docker'][number];

export interface VolumesSnapshot {
  rows: VolumeRow[];
  /** Docker hosts that could not be listed: shown as error nodes, the others still show. */
  hostErrors: Array<{ host: DockerHostConfig; message: string }>;
  inspectFailures: Array<{ host: DockerHostConfig; name: string; message: string }>;
  /** ESXi hosts whose dockvols could not be read: their datastores are not called orphaned. */
  esxiErrors: Array<{ id: string; name: string; message: string }>;
  /** At least one ESXi host answered, so VMDKs, disk modes and orphans are known. */
  esxiJoined: boolean;
  /** ESXi hosts whose vmdkops_admin.py volume ls failed: their volumes were inspected instead. */
  adminErrors: Array<{ id: string; name: string; message: string }>;
  /** How many Statuses came from vmdkops_admin.py volume ls, how many from a docker inspect each. */
  statusFrom: { admin: number; inspect: number };
  /** What the rows were joined from: an event's update changes these and joins again. */
  joined: { docker: Map<string, DockerVolumeEntry[]>; esxi: EsxiSide };
}

/**
 * One full refresh: every Docker host (each pipelined inside) and every ESXi host in parallel,
 * then the join. A host that fails becomes an error entry; the others still show.
 */
export async function loadVolumeData(sources: VolumeSources, signal?: AbortSignal): Promise<VolumesSnapshot> {
  const snapshot: VolumesSnapshot = {
    rows: [],
    hostErrors: [],
    inspectFailures: [],
    esxiErrors: [],
    esxiJoined: false,
    adminErrors: [],
    statusFrom: { admin: 0, inspect: 0 },
    joined: { docker: new Map(), esxi: mergeEsxiSides([]) },
  };
  const adminLists = adminVolumeLists(sources, snapshot, signal);
  const known = adminLists.then(adminIndex);
  const esxiSides = Promise.all(
    sources.esxi.map(async (e, i): Promise<EsxiSide | undefined> => {
      try {
        // with volume ls the VMDKs are known: no dockvols search of the datastores
        const [session, admin] = e.adminVolumes
          ? await Promise.all([e.session(), adminLists.then((l) => l[i])])
          : [await e.session(), undefined];
        return await readEsxiSide(session, e.id, signal, admin);
      } catch (err) {
        snapshot.esxiErrors.push({ id: e.id, name: e.name, message: errorMessage(err) });
        return undefined;
      }
    }),
  );
  const perHost = await Promise.all(
    sources.docker.map(async ({ host, use }) => {
      try {
        const inventory = await use((conn) =>
          listVsphereVolumes(conn, {
            signal,
            knownStatus: async (name) => {
              const status = (await known)(name);
              if (status) snapshot.statusFrom.admin++;
              else snapshot.statusFrom.inspect++;
              return status;
            },
          }),
        );
        snapshot.inspectFailures.push(...inventory.failures.map((f) => ({ host, ...f })));
        return { host, inventory };
      } catch (err) {
        snapshot.hostErrors.push({ host, message: errorMessage(err) });
        return undefined;
      }
    }),
  );
  const sides = (await esxiSides).filter((s): s is EsxiSide => !!s);
  const esxi = mergeEsxiSides(sides);
  snapshot.esxiJoined = sides.length > 0;
  for (const h of perHost) {
    if (h)
      snapshot.joined.docker.set(
        h.host.id,
        dockerEntries(h.host, h.inventory, h.host.vmName ? esxi.vmDatastores[h.host.vmName] : undefined),
      );
  }
  snapshot.joined.esxi = esxi;
  snapshot.rows = join(snapshot.joined);
  return snapshot;
}

function join(joined: VolumesSnapshot['joined']): VolumeRow[] {
  return correlate({ docker: [...joined.docker.values()].flat(), ...joined.esxi });
}

/**
 * The Statuses `vmdkops_admin.py volume ls` gives on the ESXi hosts with SSH, by `vol@ds` (and by
 * the short name when only one datastore has it). A name two vmgroups hold is left to its inspect:
 * only the plugin knows which one its VM sees. A host whose admin CLI fails (adminErrors) leaves its
 * volumes to their inspects.
 */
function adminIndex(lists: ReadonlyArray<AdminVolume[] | undefined>): (name: string) => Record<string, unknown> | undefined {
  const byName = new Map<string, AdminVolume | null>();
  const add = (key: string, v: AdminVolume) => byName.set(key, byName.has(key) && byName.get(key) !== v ? null : v);
  for (const v of lists.flatMap((l) => l ?? [])) {
    add(fullVolumeName(v.volume, v.datastore), v);
    add(v.volume, v);
  }
  return (name) => {
    const v = byName.get(name);
    return v ? (statusOfAdminVolume(v) as Record<string, unknown>) : undefined;
  };
}

/** Each ESXi source's `volume ls` (undefined without SSH, or when it failed: adminErrors says why). */
function adminVolumeLists(
  sources: VolumeSources,
  snapshot: VolumesSnapshot,
  signal?: AbortSignal,
): Promise<Array<AdminVolume[] | undefined>> {
  return Promise.all(
    sources.esxi.map(async (e) => {
      if (!e.adminVolumes) return undefined;
      try {
        return await e.adminVolumes(signal);
      } catch (err) {
        snapshot.adminErrors.push({ id: e.id, name: e.name, message: errorMessage(err) });
        return undefined;
      }
    }),
  );
}

/** The volumes a batch of docker events names (`volume` events: create, destroy, mount, unmount). */
export function volumesNamedBy(events: ReadonlyArray<{ Type: string; Actor?: { ID?: string } }>): string[] {
  return [...new Set(events.filter((e) => e.Type === 'volume' && e.Actor?.ID).map((e) => e.Actor!.ID!))];
}

/**
 * The update after docker events on one host: an inspect of each volume the events name and one
 * container list (container events change who mounts what), then the join again. Calls do not
 * grow with the number of volumes. A removed volume leaves the view with its VMDK (the plugin
 * deleted both); a new one is not called orphaned before the next dockvols scan finds its VMDK.
 */
export async function updateVolumeData(
  snapshot: VolumesSnapshot,
  source: DockerSource,
  names: readonly string[],
  signal?: AbortSignal,
): Promise<VolumesSnapshot> {
  const { host, use } = source;
  const { containers, inspected } = await use(async (conn) => {
    const [containers, inspected] = await Promise.all([
      listContainers(conn, { signal }),
      Promise.all(
        names.map((name) =>
          inspectVolume(conn, name, { signal }).then(
            (v) => ({ name, volume: isPluginDriver(v.driver, pluginAliasOf(conn)) ? v : undefined }),
            (err: unknown) => {
              if (err instanceof DockerError && err.code === 'NOT_FOUND') return { name, volume: undefined };
              throw err;
            },
          ),
        ),
      ),
    ]);
    return { containers, inspected };
  });
  const users = new Map([...containersByVolume(containers)].map(([volume, list]) => [volume, list.map((c) => c.name)]));
  const entries = new Map((snapshot.joined.docker.get(host.id) ?? []).map((e) => [e.name, e]));
  const esxi = { ...snapshot.joined.esxi };
  const vmDatastore = host.vmName ? esxi.vmDatastores[host.vmName] : undefined;
  const knownVmdk = (name: string) => {
    const { volume, datastore } = parseVolumeName(name);
    return esxi.vmdks.some((v) => {
      const loc = volumeFromDatastorePath(v.path);
      return loc?.volume === volume && loc.datastore === (datastore ?? vmDatastore);
    });
  };
  for (const { name, volume } of inspected) {
    if (volume) {
      entries.set(name, {
        hostId: host.id,
        hostName: host.name,
        name,
        status: volume.status,
        containers: [],
        vmDatastore,
        ...(knownVmdk(name) ? {} : { sinceScan: true }),
      });
      continue;
    }
    if (!entries.delete(name)) continue;
    const { volume: vol, datastore } = parseVolumeName(name);
    esxi.vmdks = esxi.vmdks.filter((v) => {
      const loc = volumeFromDatastorePath(v.path);
      return !(loc?.volume === vol && loc.datastore === (datastore ?? vmDatastore));
    });
  }
  const updated = [...entries.values()].map((e) => ({ ...e, containers: users.get(e.name) ?? [] }));
  const joined = { docker: new Map(snapshot.joined.docker).set(host.id, updated), esxi };
  return { ...snapshot, joined, rows: join(joined) };
}

/**
 * A host's entries with its VM's datastore (which qualifies short names), and the containers that
 * mount a volume under another name added: a short name joins `vol@<VM's datastore>`; a name the
 * host no longer lists (its VMDK is gone, so the plugin leaves it out) becomes an entry of its own.
 */
function dockerEntries(host: DockerHostConfig, inventory: HostInventory, vmDatastore: string | undefined): DockerVolumeEntry[] {
  const entries = inventory.entries.map((e) => ({ ...e, vmDatastore }));
  for (const u of inventory.unlisted) {
    // without the VM's datastore (no ESXi host configured) a short name joins the one listed volume of that name
    const full = u.name.includes('@') ? u.name : vmDatastore ? fullVolumeName(u.name, vmDatastore) : undefined;
    const same = entries.filter((e) => (full ? e.name === full : parseVolumeName(e.name).volume === u.name));
    const listed = same.length === 1 ? same[0] : undefined;
    if (listed) listed.containers.push(...u.containers);
    else entries.push({ hostId: host.id, hostName: host.name, name: u.name, containers: u.containers, vmDatastore });
  }
  return entries;
}
