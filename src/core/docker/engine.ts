import type Dockerode from 'dockerode';
import { CallOptions, DockerConnection } from './connection';

/** What the host node of the Docker Hosts view shows. */
export interface EngineInfo {
  /** Docker Engine version, e.g. "20.10.24+dfsg1". */
  version: string;
  apiVersion: string;
  /** "Debian GNU/Linux 12 (bookworm)" */
  operatingSystem: string;
  /** "linux/amd64" */
  platform: string;
  kernelVersion: string;
  /** The daemon host's name (the Docker VM). */
  name: string;
  containers: number;
  containersRunning: number;
}

/** GET /version and /info in parallel. */
export async function engineInfo(conn: DockerConnection, options?: CallOptions): Promise<EngineInfo> {
  const [version, info] = await Promise.all([
    conn.dial<Dockerode.DockerVersion>('Reading the Docker version', { method: 'GET', path: '/version' }, options),
    conn.dial<Record<string, unknown>>('Reading the Docker info', { method: 'GET', path: '/info' }, options),
  ]);
  return {
    version: version.Version,
    apiVersion: version.ApiVersion,
    operatingSystem: typeof info.OperatingSystem === 'string' ? info.OperatingSystem : version.Os,
    platform: `${version.Os}/${version.Arch}`,
    kernelVersion: version.KernelVersion,
    name: typeof info.Name === 'string' ? info.Name : '',
    containers: Number(info.Containers ?? 0),
    containersRunning: Number(info.ContainersRunning ?? 0),
  };
}
