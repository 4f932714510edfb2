import * as vscode from 'vscode';
import { UserError } from '../../../core/errors';
import { CommandContext } from '../../commandContext';
import { BACKUP_TASK_TYPE } from '../../tasks/backupTaskProvider';

/** Run Backup: pick one of the vdvs-backup tasks (provided or from tasks.json) and run it. */
export async function runBackupTaskCommand({ ui }: CommandContext): Promise<void> {
  const tasks = await vscode.tasks.fetchTasks({ type: BACKUP_TASK_TYPE });
  if (!tasks.length)
    throw new UserError(
      'There is no backup task yet.',
      'Add a Docker host: each gets a ready "back up <host>" task; or add a vdvs-backup task to tasks.json.',
      'NO_TASK',
    );
  const task =
    tasks.length === 1
      ? tasks[0]
      : await ui.pick({
          id: 'task',
          title: 'Run Backup',
          step: 1,
          totalSteps: 1,
          placeholder: 'Run which backup?',
          items: tasks.map((t) => ({ label: t.name, detail: t.detail, value: t })),
        });
  if (task instanceof vscode.Task) await vscode.tasks.executeTask(task);
}
