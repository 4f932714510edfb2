import * as vscode from 'vscode';
import { DockerHostConfig } from '../../../core/config';
import { cliLines } from '../../../core/docker/cliLine';
import { DockerConnection } from '../../../core/docker/connection';
import { UserError } from '../../../core/errors';
import { dockerConnections } from '../../connections';
import { Services } from '../../services';
import { dockerHostsTree } from '../../trees/dockerHostsView';
import { Prompter } from '../../prompter';
import { vscodePrompter } from '../../vscodePrompter';

/**
 * The last argument every Docker command accepts, for automation and the in-editor tests: answers
 * instead of dialogs (the `Host` seam of vscode-kubernetes-tools), and a host id instead of a node.
 */
export interface DockerSeam {
  prompter?: Prompter;
  hostId?: string;
}

/** The seam from a command's arguments: the last plain object carrying `prompter` or `hostId`. */
export function seamOf(args: unknown[]): DockerSeam {
  const last = args[args.length - 1];
  return last && typeof last === 'object' && ('prompter' in last || 'hostId' in last) ? (last as DockerSeam) : {};
}

export function prompterOf(seam: DockerSeam): Prompter {
  return seam.prompter ?? vscodePrompter;
}

/** The host a command acts on: the node's, the seam's, or one the user picks. */
export async function targetHost(
  services: Services,
  node: { host?: DockerHostConfig } | undefined,
  seam: DockerSeam,
): Promise<DockerHostConfig | undefined> {
  if (node?.host) return node.host;
  const hosts = services.hosts.list('docker');
  if (seam.hostId) {
    const host = hosts.find((h) => h.id === seam.hostId);
    if (!host) throw new UserError(`No Docker host with id ${seam.hostId}.`, undefined, 'NO_HOST');
    return host;
  }
  if (!hosts.length)
    throw new UserError('No Docker host is configured.', 'Add one first (Docker Hosts view, Add Docker Host…).', 'NO_HOST');
  if (hosts.length === 1) return hosts[0];
  const picked = await prompterOf(seam).pick({
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

/** The tree node a command was invoked on (first argument), if any. */
export function nodeOf<T extends object = { host?: DockerHostConfig }>(args: unknown[]): T | undefined {
  const first = args[0];
  return first && typeof first === 'object' && 'host' in first ? (first as T) : undefined;
}
