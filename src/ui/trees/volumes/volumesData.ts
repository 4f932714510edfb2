import { loadVolumeData, VolumeSources, VolumesSnapshot } from '../../../core/vdvs/volumeData';
import { esxiSessions, withDocker } from '../../connections';
import { Services } from '../../services';

export type { VolumesSnapshot } from '../../../core/vdvs/volumeData';

/**
 * The configured hosts as data sources: Docker hosts with their secrets, ESXi hosts through the
 * session cache the ESXi Hosts view uses (one login per host, shared).
 */
export function configuredSources(services: Services): VolumeSources {
  const sessions = esxiSessions(services);
  return {
    docker: services.hosts.list('docker').map((host) => ({ host, use: (work) => withDocker(services, host, work) })),
    esxi: services.hosts.list('esxi').map((host) => ({ id: host.id, name: host.name, session: () => sessions.get(host.id) })),
  };
}

export function loadVolumes(services: Services, signal?: AbortSignal): Promise<VolumesSnapshot> {
  return loadVolumeData(configuredSources(services), signal);
}
