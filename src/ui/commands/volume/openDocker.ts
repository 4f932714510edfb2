import { DockerConnection } from '../../../core/docker/connection';
import { UserError } from '../../../core/errors';
import { requestTimeoutMs, Services } from '../../services';

/** Opens the Engine API of a configured Docker host, runs `work`, closes it. */
export async function withDocker<T>(services: Services, hostId: string, work: (conn: DockerConnection) => Promise<T>): Promise<T> {
  const host = services.hosts.get('docker', hostId);
  if (!host) throw new UserError('That Docker host is no longer configured.', 'Refresh the Volumes view.', 'NO_HOST');
  const conn = await DockerConnection.open(host, { timeoutMs: requestTimeoutMs(), secrets: { sshPassphrase: await services.hosts.getSecret('docker', host.id, 'sshPassphrase') } });
  try {
    return await work(conn);
  } finally {
    conn.close();
  }
}
