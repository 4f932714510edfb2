import * as vscode from 'vscode';
import { UserError } from '../../../core/errors';
import { Services } from '../../services';
import { BACKUP_TASK_TYPE } from '../../tasks/backupTaskProvider';

/** Run Backup: pick one of the vdvs-backup tasks (provided or from tasks.json) and run it. */
export async function runBackupTaskCommand(_services: Services): Promise<void> {
  const tasks = await vscode.tasks.fetchTasks({ type: BACKUP_TASK_TYPE });
  if (!tasks.length)
    throw new UserError(
      'There is no backup task yet.',
      'Add a Docker host: each gets a ready "back up <host>" task; or add a vdvs-backup task to tasks.json.',
      'NO_TASK',
    );
  const pick =
    tasks.length === 1
      ? { task: tasks[0] }
      : await vscode.window.showQuickPick(
          tasks.map((task) => ({ label: task.name, detail: task.detail, task })),
          { title: 'Run which backup?' },
        );
  if (pick) await vscode.tasks.executeTask(pick.task);
}
