import { DockerHostConfig } from '../../../core/config';
import { DockerConnection } from '../../../core/docker/connection';
import { UserError } from '../../../core/errors';
import { caBundlePath } from '../../esxiSessions';
import { requestTimeoutMs, Services } from '../../services';

/** The Engine API of a configured Docker host, with its secret and the TLS settings. */
export async function openDockerHost(services: Services, host: DockerHostConfig): Promise<DockerConnection> {
  return DockerConnection.open(host, { timeoutMs: requestTimeoutMs(), caBundlePath: caBundlePath(), secrets: { sshPassphrase: await services.hosts.getSecret('docker', host.id, 'sshPassphrase') } });
}

/** Opens the Engine API of a configured Docker host, runs `work`, closes it. */
export async function withDocker<T>(services: Services, hostId: string, work: (conn: DockerConnection) => Promise<T>): Promise<T> {
  const host = services.hosts.get('docker', hostId);
  if (!host) throw new UserError('That Docker host is no longer configured.', 'Refresh the Volumes view.', 'NO_HOST');
  const conn = await openDockerHost(services, host);
  try {
    return await work(conn);
  } finally {
    conn.close();
  }
}
