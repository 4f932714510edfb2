import { DockerConnection } from '../docker/connection';
import { engineInfo } from '../docker/engine';
import { UserError } from '../errors';
import { VsphereSession } from '../vsphere/session';
import { findVm, findVmByGuestHostName, LocatedVm } from './snapshotMode';

/**
 * The VM that runs a Docker host: by the name the settings give, else the VM whose guest host
 * name is the engine's (VMware Tools reports it).
 */
export async function locateDockerHostVm(
  conn: DockerConnection,
  session: VsphereSession,
  vmName: string | undefined,
  signal?: AbortSignal,
): Promise<LocatedVm> {
  if (vmName) return findVm(session, vmName, signal);
  const { name } = await engineInfo(conn, { signal });
  const found = await findVmByGuestHostName(session, name, signal);
  if (!found)
    throw new UserError(
      `Cannot tell which VM on ${session.host} runs the Docker host ${conn.label} (its host name is ${name}).`,
      'Set "vm" in the job to the Docker host VM\'s name.',
      'BAD_JOB',
    );
  return found;
}
