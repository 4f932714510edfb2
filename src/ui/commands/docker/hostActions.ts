import * as vscode from 'vscode';
import { CommandContext } from '../../commandContext';
import { dockerHostsTree } from '../../trees/dockerHostsView';
import { DockerNode } from '../../trees/docker/dockerNode';
import { DockerTargetNode, targetHost } from './target';

const REMOVE = 'Remove Host';

/** "Remove Docker Host": forgets the host and its secrets; nothing changes on the host itself. */
export async function removeHost(ctx: CommandContext, node?: DockerTargetNode): Promise<void> {
  const { services } = ctx;
  const host = await targetHost(ctx, node);
  if (!host) return;
  const answer = await ctx.ui.confirm(
    `Remove ${host.name} from the Docker Hosts view?`,
    'Only the entry and its stored passphrase are removed; the Docker host, its plugin and volumes stay as they are.',
    [REMOVE],
  );
  if (answer !== REMOVE) return;
  await services.hosts.remove('docker', host.id);
}

/** "Refresh": the node's host, or every host. */
export async function refresh({ services }: CommandContext, node?: DockerNode): Promise<void> {
  await dockerHostsTree(services).refresher.refresh(node?.host.id);
}

/** The "all volume drivers" toggle of the view title. */
export function showAllDrivers(show: boolean) {
  return async (): Promise<void> => {
    await vscode.workspace.getConfiguration('vdvs').update('docker.showAllVolumeDrivers', show, vscode.ConfigurationTarget.Global);
  };
}
