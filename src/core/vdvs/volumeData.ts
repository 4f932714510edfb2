import { DockerHostConfig } from '../config';
import { DockerConnection } from '../docker/connection';
import { errorMessage } from '../errors';
import { VsphereSession } from '../vsphere/session';
import { correlate, VolumeRow } from './correlate';
import { EsxiSide, mergeEsxiSides, readEsxiSide } from './esxiSide';
import { listVsphereVolumes } from './inventory';

/** Where the Volumes view's data comes from: the configured hosts, opened by the caller's rules. */
export interface VolumeSources {
  docker: Array<{ host: DockerHostConfig; open: () => Promise<DockerConnection> }>;
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
  const esxiSides = Promise.all(sources.esxi.map(async (e): Promise<EsxiSide | undefined> => {
    try {
      return await readEsxiSide(await e.session(), e.id, signal);
    } catch (err) {
      snapshot.esxiErrors.push({ id: e.id, name: e.name, message: errorMessage(err) });
      return undefined;
    }
  }));
  const perHost = await Promise.all(sources.docker.map(async ({ host, open }) => {
    let conn: DockerConnection | undefined;
    try {
      conn = await open();
      const inventory = await listVsphereVolumes(conn, { signal });
      snapshot.inspectFailures.push(...inventory.failures.map((f) => ({ host, ...f })));
      return inventory.entries;
    } catch (err) {
      snapshot.hostErrors.push({ host, message: errorMessage(err) });
      return [];
    } finally {
      conn?.close();
    }
  }));
  const sides = (await esxiSides).filter((s): s is EsxiSide => !!s);
  snapshot.esxiJoined = sides.length > 0;
  snapshot.rows = correlate({ docker: perHost.flat(), ...mergeEsxiSides(sides) });
  return snapshot;
}
