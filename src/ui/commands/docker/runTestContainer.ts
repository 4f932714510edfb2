import { CLI } from '../../../core/docker/cliLine';
import { DockerContainer, runTestContainer as run, testContainerName } from '../../../core/docker/containers';
import { requireEnabledPlugin } from '../../../core/docker/plugin';
import { UserError } from '../../../core/errors';
import { Services } from '../../services';
import { VolumeNode } from '../../trees/docker/volumeNode';
import { pluginAlias, testContainerImage } from './pluginSettings';
import { connect, logCli, nodeOf, refreshHost, withCancellableProgress } from './target';

/**
 * "Run Test Container" on a volume: the walkthrough's `docker run -d --mount source=VOL,target=/vmdk
 * IMAGE sleep 1d` (image from vdvs.testContainer.image). vDVS attaches the VMDK to the VM on start.
 */
export async function runTestContainer(services: Services, ...args: unknown[]): Promise<DockerContainer | undefined> {
  const node = nodeOf<VolumeNode>(args);
  if (!node?.volume) throw new UserError('Run Test Container works on a volume of the Docker Hosts view.', 'Right-click a volume there.', 'NO_VOLUME');
  const { host } = node;
  const image = testContainerImage();
  const conn = await connect(services, host);
  if (node.vsphere) await requireEnabledPlugin(conn, pluginAlias());
  logCli(services, host, CLI.runTestContainer(node.volume.name, image, testContainerName(node.volume.name)));
  // vDVS attaches and mounts the disk during start: allow more than one plain API call.
  const container = await withCancellableProgress(`Starting a test container on ${node.volume.name}`, (_r, signal) => run(conn, node.volume.name, image, { signal, timeoutMs: Math.max(conn.timeoutMs, 60_000) }));
  services.log.info(`test container ${container.name} mounts ${node.volume.name} at /vmdk`);
  await refreshHost(services, host);
  return container;
}
