import * as vscode from 'vscode';
import { BackupHooks } from '../../core/backup/hooks';
import { BackupJob, checkJob } from '../../core/backup/job';
import { configuredRepositories } from '../backupStores';
import { displayUrl } from '../../core/backup/restic/resticCli';
import { Services } from '../services';
import { backupDestination, defaultRetain, expandPath } from './backupSettings';
import { BackupTerminal } from './backupTerminal';
import { snapshotTaskTarget } from './snapshotTask';

export const BACKUP_TASK_TYPE = 'vdvs-backup';
export const BACKUP_PROBLEM_MATCHER = '$vdvs-backup';

/** A `vdvs-backup` task as tasks.json holds it (package.json taskDefinitions has its schema). */
export interface BackupTaskDefinition extends vscode.TaskDefinition {
  dockerHost: string;
  volumes?: string[] | 'all';
  mode?: 'archive' | 'snapshot';
  destination?: string;
  repository?: string;
  resticOptions?: string[];
  retain?: number;
  compression?: 'none' | 'gzip';
  stopContainers?: boolean;
  stopTimeoutSeconds?: number;
  hooks?: BackupHooks;
  esxiHost?: string;
  vm?: string;
}

/**
 * Offers a ready backup task per configured Docker host (archive mode, every vsphere volume, the
 * vdvs.backup.* settings), a snapshot task where its persistent volumes are attached (snapshotTask.ts),
 * and resolves hand-written ones. Each runs in a BackupTerminal.
 */
export class BackupTaskProvider implements vscode.TaskProvider {
  constructor(private readonly services: Services) {}

  async provideTasks(): Promise<vscode.Task[]> {
    const perHost = await Promise.all(
      this.services.hosts.list('docker').map(async (host) => {
        const definition: BackupTaskDefinition = {
          type: BACKUP_TASK_TYPE,
          dockerHost: host.name,
          volumes: 'all',
          mode: 'archive',
          retain: defaultRetain(),
        };
        const tasks = [
          this.task(definition, `back up ${host.name}`),
          // one per restic repository added with Add Backup Repository…
          ...configuredRepositories().map((r) =>
            this.task({ ...definition, repository: r.url }, `back up ${host.name} to ${displayUrl(r.url)}`),
          ),
        ];
        const snapshot = await snapshotTaskTarget(this.services, host);
        if (snapshot)
          tasks.push(
            this.task(
              {
                type: BACKUP_TASK_TYPE,
                dockerHost: host.name,
                volumes: snapshot.volumes,
                mode: 'snapshot',
                esxiHost: snapshot.esxiHost,
                vm: snapshot.vm,
                retain: defaultRetain(),
              },
              `snapshot backup of ${host.name}`,
            ),
          );
        return tasks;
      }),
    );
    return perHost.flat();
  }

  resolveTask(task: vscode.Task): vscode.Task | undefined {
    if (task.definition.type !== BACKUP_TASK_TYPE) return undefined;
    // the definition object must be the one from tasks.json, or VS Code does not match the task
    return this.task(task.definition as BackupTaskDefinition, task.name, task.scope);
  }

  private task(definition: BackupTaskDefinition, name: string, scope: vscode.Task['scope'] = vscode.TaskScope.Workspace): vscode.Task {
    const execution = new vscode.CustomExecution(
      async (resolved) => new BackupTerminal(this.services, toJob(resolved as BackupTaskDefinition)),
    );
    const task = new vscode.Task(definition, scope ?? vscode.TaskScope.Workspace, name, 'vDVS', execution, BACKUP_PROBLEM_MATCHER);
    task.detail = `${definition.mode ?? 'archive'} backup of ${Array.isArray(definition.volumes) ? definition.volumes.join(', ') : 'all volumes'} on ${definition.dockerHost}`;
    task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, clear: true };
    return task;
  }
}

/** The job of a task, or the reason it is not one (printed in the task's terminal). */
export function toJob(definition: BackupTaskDefinition): BackupJob | Error {
  try {
    const where = definition.repository ? {} : { destination: expandPath(definition.destination ?? backupDestination()) };
    return checkJob(
      { ...definition, ...where, retain: definition.retain ?? defaultRetain() },
      `vdvs-backup task "${definition.dockerHost ?? '?'}"`,
    );
  } catch (err) {
    return err as Error;
  }
}

/** The provider behind `vdvs-backup` (the activation shell registered the task type and delegates to it). */
export function registerBackupTasks(services: Services): vscode.TaskProvider {
  return new BackupTaskProvider(services);
}
