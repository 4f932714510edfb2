import { CommandContext } from '../../commandContext';
import { DockerHostConfig } from '../../../core/config';
import { CLI } from '../../../core/docker/cliLine';
import { DockerContainer, runTestContainer as run, testContainerName } from '../../../core/docker/containers';
import { requireEnabledPlugin } from '../../../core/docker/plugin';
import { UserError } from '../../../core/errors';

import { VolumeNode } from '../../trees/docker/volumeNode';
import { VolumeNode as JoinedVolumeNode } from '../../trees/volumes/volumeNode';
import { volumesTree } from '../../trees/volumesView';
import { pluginAlias, testContainerImage } from '../../settings';
import { connect, logCli, refreshHost, withCancellableProgress } from './target';

interface TestTarget {
  host: DockerHostConfig;
  /** The name the host lists the volume by. */
  volume: string;
  vsphere: boolean;
}

/**
 * "Run Test Container" on a volume of the Docker Hosts or the Volumes view: the walkthrough's
 * `docker run -d --mount source=VOL,target=/vmdk IMAGE sleep 1d` (image from vdvs.testContainer.image).
 * vDVS attaches the VMDK to the VM on start. Both views are re-read, so the volume shows the container.
 */
export async function runTestContainer(ctx: CommandContext, node?: unknown): Promise<DockerContainer | undefined> {
  const { services } = ctx;
  const target = node instanceof JoinedVolumeNode ? await joinedTarget(ctx, node) : dockerTarget(node);
  if (!target) return undefined;
  const { host, volume } = target;
  const image = testContainerImage();
  const conn = await connect(services, host);
  if (target.vsphere) await requireEnabledPlugin(conn, pluginAlias());
  logCli(services, host, CLI.runTestContainer(volume, image, testContainerName(volume)));
  // vDVS attaches and mounts the disk during start: allow more than one plain API call.
  const container = await withCancellableProgress(`Starting a test container on ${volume}`, (_r, signal) =>
    run(conn, volume, image, { signal, timeoutMs: Math.max(conn.timeoutMs, 60_000) }),
  );
  services.log.info(`test container ${container.name} mounts ${volume} at /vmdk`);
  await Promise.all([refreshHost(services, host), volumesTree(services)?.refresh()]);
  return container;
}

function dockerTarget(node: unknown): TestTarget {
  if (!(node instanceof VolumeNode))
    throw new UserError(
      'Run Test Container works on a volume of the Volumes or Docker Hosts view.',
      'Right-click a volume there.',
      'NO_VOLUME',
    );
  return { host: node.host, volume: node.volume.name, vsphere: node.vsphere };
}

/** A volume of the Volumes view runs on the Docker host that lists it; the user picks when several do. */
async function joinedTarget(ctx: CommandContext, node: JoinedVolumeNode): Promise<TestTarget | undefined> {
  const entries = node.listedBy;
  if (!entries.length)
    throw new UserError(
      `No configured Docker host lists ${node.row.key}.`,
      'Add the Docker host that uses it, then refresh the Volumes view.',
      'NO_HOST',
    );
  const entry =
    entries.length === 1
      ? entries[0]
      : await ctx.ui.pick({
          id: 'dockerHost',
          title: 'Run Test Container',
          step: 1,
          totalSteps: 1,
          placeholder: `Docker host to run the container on: ${node.row.key} is shared`,
          items: entries.map((d) => ({ label: d.hostName, description: d.name, value: d })),
        });
  if (typeof entry !== 'object') return undefined;
  const host = ctx.services.hosts.get('docker', entry.hostId);
  if (!host) throw new UserError(`${entry.hostName} is no longer configured.`, 'Refresh the Volumes view.', 'NO_HOST');
  return { host, volume: entry.name, vsphere: true };
}
