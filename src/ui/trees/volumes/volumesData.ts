import { DockerHostConfig as DockerConfigHost } from '../../../core/config';
import { DockerConnection } from '../../../core/docker/connection';
import { correlate, CorrelationInput, VolumeRow } from '../../../core/vdvs/correlate';
import { listVsphereVolumes } from '../../../core/vdvs/inventory';
import { errorMessage } from '../../../core/errors';
import { Services, requestTimeoutMs } from '../../services';

/** The ESXi side of the join (VMDKs in dockvols, VM disks); issue 4's datastore browsing feeds it. */
export type EsxiVolumeSource = (signal?: AbortSignal) => Promise<Pick<CorrelationInput, 'vmdks' | 'vmDisks' | 'scannedDatastores'>>;

export interface VolumesSnapshot {
  rows: VolumeRow[];
  /** Docker hosts that could not be listed: shown as error nodes, the others still show. */
  hostErrors: Array<{ host: DockerConfigHost; message: string }>;
  inspectFailures: Array<{ host: DockerConfigHost; name: string; message: string }>;
  esxiJoined: boolean;
}

/** Every configured Docker host in parallel (each pipelined inside), then the join. */
export async function loadVolumes(services: Services, esxi: EsxiVolumeSource | undefined, signal?: AbortSignal): Promise<VolumesSnapshot> {
  const hosts = services.hosts.list('docker');
  const snapshot: VolumesSnapshot = { rows: [], hostErrors: [], inspectFailures: [], esxiJoined: !!esxi };
  const esxiSide = esxi ? esxi(signal) : Promise.resolve({ vmdks: [], vmDisks: [], scannedDatastores: [] });
  const perHost = await Promise.all(hosts.map(async (host) => {
    let conn: DockerConnection | undefined;
    try {
      conn = await DockerConnection.open(host, { timeoutMs: requestTimeoutMs(), secrets: { sshPassphrase: await services.hosts.getSecret('docker', host.id, 'sshPassphrase') } });
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
  const side = await esxiSide;
  snapshot.rows = correlate({ docker: perHost.flat(), ...side });
  return snapshot;
}
