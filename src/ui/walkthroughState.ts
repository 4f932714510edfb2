import * as vscode from 'vscode';
import { listAllBackups } from '../core/backup/layout';
import { HostSnapshot } from '../core/docker/hostSnapshot';
import { VolumeRow } from '../core/vdvs/correlate';
import { volumeFacts } from '../core/vdvs/status';
import { Services } from './services';
import { BACKUP_TASK_TYPE } from './tasks/backupTaskProvider';
import { backupDestination } from './tasks/backupSettings';

/**
 * Context keys behind the Getting Started walkthrough's `completionEvents` (onContext:…). A step
 * completes when its state is really there, not when its button was pressed: the host lists come
 * from settings, the rest from what the views read anyway (VIB status, plugin, volumes) and from
 * finished backup tasks or backups already on disk, so a user who did it earlier sees it done.
 * Keys only ever turn true: a walkthrough step cannot be un-completed.
 */
export type WalkthroughState =
  | 'esxiHostAdded'
  | 'vibInstalled'
  | 'dockerHostAdded'
  | 'pluginInstalled'
  | 'persistentVolumeCreated'
  | 'testContainerRunning'
  | 'backupDone';

const reached = new Set<WalkthroughState>();

/** Marks a state as reached (sets the context key `vdvs.state.<state>` once). */
export function reachState(state: WalkthroughState): void {
  if (reached.has(state)) return;
  reached.add(state);
  void vscode.commands.executeCommand('setContext', `vdvs.state.${state}`, true);
}

/** Host states from settings now and on change; backups from finished tasks and the destination folder. */
export function registerWalkthroughState(services: Services): void {
  const fromHosts = () => {
    if (services.hosts.list('esxi').length) reachState('esxiHostAdded');
    if (services.hosts.list('docker').length) reachState('dockerHostAdded');
  };
  fromHosts();
  services.context.subscriptions.push(
    services.hosts.onDidChange(fromHosts),
    vscode.tasks.onDidEndTaskProcess((e) => {
      if (e.execution.task.definition.type === BACKUP_TASK_TYPE && e.exitCode === 0) reachState('backupDone');
    }),
  );
  // a directory listing, after activation: backups made earlier (or by the vdvs CLI) count too
  setTimeout(() => void hasBackups().then((yes) => yes && reachState('backupDone')), 2000).unref?.();
}

async function hasBackups(): Promise<boolean> {
  try {
    return (await listAllBackups(backupDestination())).some((v) => v.backups.length > 0);
  } catch {
    return false; // no destination yet, or unreadable: nothing to report
  }
}

/** What a Docker host's snapshot (Docker Hosts view) proves: plugin, persistent volumes, containers on them. */
export function reachFromDockerHost(snapshot: HostSnapshot): void {
  if (snapshot.plugin.installed && snapshot.plugin.enabled) reachState('pluginInstalled');
  for (const v of snapshot.vsphereVolumes ?? []) {
    if (volumeFacts(v.status).attachAs === 'persistent') reachState('persistentVolumeCreated');
    if (snapshot.containers.get(v.name)?.length) reachState('testContainerRunning');
  }
}

/** The same from the Volumes view's rows (a user may open only that view). */
export function reachFromVolumeRows(rows: readonly VolumeRow[]): void {
  for (const r of rows) {
    if (!r.docker.length) continue;
    if (r.facts.attachAs === 'persistent') reachState('persistentVolumeCreated');
    if (r.containers.length) reachState('testContainerRunning');
  }
}
