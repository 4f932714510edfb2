import { CLI } from '../../../core/docker/cliLine';
import { removeContainer as remove, stopContainer as stop } from '../../../core/docker/containers';
import { UserError } from '../../../core/errors';
import { CommandContext } from '../../commandContext';
import { ContainerNode } from '../../trees/docker/containerNode';
import { connect, logCli, refreshHost, withCancellableProgress } from './target';

function containerNode(node: unknown): ContainerNode {
  if (!(node instanceof ContainerNode))
    throw new UserError('This command works on a container of the Docker Hosts view.', undefined, 'NO_CONTAINER');
  return node;
}

/** "Stop Container" (vDVS detaches the disk when the last user stops). */
export async function stopContainer(ctx: CommandContext, node?: unknown): Promise<void> {
  const { services } = ctx;
  const { host, container } = containerNode(node);
  logCli(services, host, CLI.containerStop(container.name));
  const conn = await connect(services, host);
  await withCancellableProgress(`Stopping ${container.name}`, (_r, signal) => stop(conn, container.id, 10, { signal }));
  await refreshHost(services, host);
}

/** "Remove Container" (stopped ones; a running one is stopped first). */
export async function removeContainer(ctx: CommandContext, node?: unknown): Promise<void> {
  const { services } = ctx;
  const { host, container } = containerNode(node);
  const conn = await connect(services, host);
  await withCancellableProgress(`Removing ${container.name}`, async (_r, signal) => {
    if (container.state === 'running') {
      logCli(services, host, CLI.containerStop(container.name));
      await stop(conn, container.id, 10, { signal });
    }
    logCli(services, host, CLI.containerRemove(container.name));
    await remove(conn, container.id, false, { signal });
  });
  await refreshHost(services, host);
}
