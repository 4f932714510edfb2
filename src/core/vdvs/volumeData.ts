import { DockerHostConfig } from '../config';
import { DockerConnection } from '../docker/connection';
import { errorMessage } from '../errors';
import { VsphereSession } from '../vsphere/session';
import { correlate, DockerVolumeEntry, VolumeRow } from './correlate';
import { EsxiSide, mergeEsxiSides, readEsxiSide } from './esxiSide';
import { HostInventory, listVsphereVolumes } from './inventory';
import { fullVolumeName, parseVolumeName } from './names';

/** Where the Volumes view's data comes from: the configured hosts, opened by the caller's rules. */
export interface VolumeSources {
  /** Docker hosts, each with a way to run calls on its connection (the extension's pool, or one opened for the call). */
  docker: Array<{ host: DockerHostConfig; use: <T>(work: (conn: DockerConnection) => Promise<T>) => Promise<T> }>;
  /** ESXi hosts and vCenters; sessions are shared with the ESXi view, so they are not closed here. */
  esxi: Array<{ id: string; name: string; session: () => Promise<VsphereSession> }>;
}

export interface VolumesSnapshot {
  rows: VolumeRow[];
  /** Docker hosts that could not be listed: shown as error nodes, the others still show. */
  hostErrors: Array<{ host: DockerHostConfig; message: string }>;
  inspectFailures: Array<{ host: DockerHostConfig; name: string; message: string }>;
  /** ESXi hosts whose dockvols could not be read: their datastores are not called orphaned. */
  esxiErrors: Array<{ id: string; name: string; message: string }>;
  /** At least one ESXi host answered, so VMDKs, disk modes and orphans are known. */
  esxiJoined: boolean;
}

/**
 * One full refresh: every Docker host (each pipelined inside) and every ESXi host in parallel,
 * then the join. A host that fails becomes an error entry; the others still show.
 */
export async function loadVolumeData(sources: VolumeSources, signal?: AbortSignal): Promise<VolumesSnapshot> {
  const snapshot: VolumesSnapshot = { rows: [], hostErrors: [], inspectFailures: [], esxiErrors: [], esxiJoined: false };
  const esxiSides = Promise.all(
    sources.esxi.map(async (e): Promise<EsxiSide | undefined> => {
      try {
        return await readEsxiSide(await e.session(), e.id, signal);
      } catch (err) {
        snapshot.esxiErrors.push({ id: e.id, name: e.name, message: errorMessage(err) });
        return undefined;
      }
    }),
  );
  const perHost = await Promise.all(
    sources.docker.map(async ({ host, use }) => {
      try {
        const inventory = await use((conn) => listVsphereVolumes(conn, { signal }));
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
  const docker = perHost.flatMap((h) =>
    h ? dockerEntries(h.host, h.inventory, h.host.vmName ? esxi.vmDatastores[h.host.vmName] : undefined) : [],
  );
  snapshot.rows = correlate({ docker, ...esxi });
  return snapshot;
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
