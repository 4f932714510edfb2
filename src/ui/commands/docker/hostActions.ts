import * as vscode from 'vscode';
import { Services } from '../../services';
import { dockerHostsTree } from '../../trees/dockerHostsView';
import { DockerNode } from '../../trees/docker/dockerNode';
import { nodeOf, prompterOf, seamOf, targetHost } from './target';

const REMOVE = 'Remove Host';

/** "Remove Docker Host": forgets the host and its secrets; nothing changes on the host itself. */
export async function removeHost(services: Services, ...args: unknown[]): Promise<void> {
  const seam = seamOf(args);
  const host = await targetHost(services, nodeOf(args), seam);
  if (!host) return;
  const answer = await prompterOf(seam).confirm(
    `Remove ${host.name} from the Docker Hosts view?`,
    'Only the entry and its stored passphrase are removed; the Docker host, its plugin and volumes stay as they are.',
    [REMOVE],
  );
  if (answer !== REMOVE) return;
  await services.hosts.remove('docker', host.id);
}

/** "Refresh": the node's host, or every host. */
export async function refresh(services: Services, ...args: unknown[]): Promise<void> {
  await dockerHostsTree(services).refresher.refresh(nodeOf<DockerNode>(args)?.host.id);
}

/** The "all volume drivers" toggle of the view title. */
export function showAllDrivers(show: boolean) {
  return async (): Promise<void> => {
    await vscode.workspace.getConfiguration('vdvs').update('docker.showAllVolumeDrivers', show, vscode.ConfigurationTarget.Global);
  };
}
