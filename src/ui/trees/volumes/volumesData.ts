import { runVmdkopsAdmin } from '../../../core/esx/vmdkopsAdmin';
import { parseVolumeLs, VOLUME_LS_ARGS } from '../../../core/vdvs/adminVolumes';
import { loadVolumeData, updateVolumeData, VolumeSources, VolumesSnapshot } from '../../../core/vdvs/volumeData';
import { esxiSessions, esxiShells, withDocker } from '../../connections';
import { requestTimeoutMs, Services } from '../../services';

export type { VolumesSnapshot } from '../../../core/vdvs/volumeData';

/**
 * The configured hosts as data sources: Docker hosts with their secrets, ESXi hosts through the
 * session cache the ESXi Hosts view uses (one login per host, shared); an ESXi host with SSH set up
 * also answers `vmdkops_admin.py volume ls` on its pooled shell, so its volumes need no inspect each.
 */
export function configuredSources(services: Services): VolumeSources {
  const sessions = esxiSessions(services);
  const shells = esxiShells(services);
  return {
    docker: services.hosts.list('docker').map((host) => ({ host, use: (work) => withDocker(services, host, work) })),
    esxi: services.hosts.list('esxi').map((host) => ({
      id: host.id,
      name: host.name,
      session: () => sessions.get(host.id),
      ...(host.ssh
        ? {
            adminVolumes: async (signal?: AbortSignal) =>
              parseVolumeLs(
                await shells.use(host, (s) => runVmdkopsAdmin(s, VOLUME_LS_ARGS, { timeoutMs: requestTimeoutMs(), signal }), signal),
              ),
          }
        : {}),
    })),
  };
}

export function loadVolumes(services: Services, signal?: AbortSignal): Promise<VolumesSnapshot> {
  return loadVolumeData(configuredSources(services), signal);
}

/** The update after docker events on one host: only the volumes they name; undefined when the host is gone. */
export async function updateVolumes(
  services: Services,
  snapshot: VolumesSnapshot,
  hostId: string,
  names: readonly string[],
): Promise<VolumesSnapshot | undefined> {
  const source = configuredSources(services).docker.find((d) => d.host.id === hostId);
  return source ? updateVolumeData(snapshot, source, names) : undefined;
}
