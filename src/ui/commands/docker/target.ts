import * as vscode from 'vscode';
import { DockerHostConfig } from '../../../core/config';
import { cliLines } from '../../../core/docker/cliLine';
import { DockerConnection } from '../../../core/docker/connection';
import { UserError } from '../../../core/errors';
import { dockerConnections } from '../../connections';
import { Services } from '../../services';
import { dockerHostsTree } from '../../trees/dockerHostsView';
import { CommandContext } from '../../commandContext';

/** What the Docker commands run on: a node of the Docker Hosts view carries its host. */
export interface DockerTargetNode {
  host?: DockerHostConfig;
}

/** The host a command acts on: the node's, the input's `hostId`, or one the user picks. */
export async function targetHost(
  { services, ui, input }: CommandContext,
  node: DockerTargetNode | undefined,
): Promise<DockerHostConfig | undefined> {
  if (node?.host) return node.host;
  const hosts = services.hosts.list('docker');
  if (input.hostId) {
    const host = hosts.find((h) => h.id === input.hostId);
    if (!host) throw new UserError(`No Docker host with id ${input.hostId}.`, undefined, 'NO_HOST');
    return host;
  }
  if (!hosts.length)
    throw new UserError('No Docker host is configured.', 'Add one first (Docker Hosts view, Add Docker Host…).', 'NO_HOST');
  if (hosts.length === 1) return hosts[0];
  const picked = await ui.pick({
    id: 'dockerHost',
    title: 'Docker host',
    step: 1,
    totalSteps: 1,
    placeholder: 'Pick the Docker host',
    items: hosts.map((h) => ({ label: h.name, description: h.endpoint, value: h })),
  });
  return typeof picked === 'object' ? picked : undefined;
}

/** The pooled connection of `host` (shared with the views and tasks). */
export function connect(services: Services, host: DockerHostConfig): Promise<DockerConnection> {
  return dockerConnections(services).get(host);
}

/** Logs the equivalent `docker` command line of an action (the user can replay it in a shell). */
export function logCli(services: Services, host: DockerHostConfig, commands: string[][]): void {
  services.log.info(`$ ${cliLines(host, commands)}`);
}

/** Runs `work` with a cancellable notification; the AbortSignal reaches the Docker calls. */
export function withCancellableProgress<T>(
  title: string,
  work: (report: (message: string) => void, signal: AbortSignal) => Promise<T>,
): Thenable<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (progress, token) => {
    const abort = new AbortController();
    token.onCancellationRequested(() => abort.abort());
    return work((message) => progress.report({ message }), abort.signal);
  });
}

/** Re-reads the host in the tree after a command changed it. */
export async function refreshHost(services: Services, host: DockerHostConfig): Promise<void> {
  await dockerHostsTree(services).reloadHost(host.id);
}
