import { CommandTable } from './commandTable';
import { addRepositoryCommand } from './backup/addRepository';
import { restoreBackupCommand } from './backup/restoreBackup';
import { runBackupTaskCommand } from './backup/runBackupTask';
import { verifyBackupCommand } from './backup/verifyBackup';

/** The backup commands (the backups themselves run as vdvs-backup tasks, src/ui/tasks/). */
export const BACKUP_COMMANDS: CommandTable = {
  'vdvs.backup.run': runBackupTaskCommand,
  'vdvs.backup.restore': restoreBackupCommand,
  'vdvs.backup.verify': verifyBackupCommand,
  'vdvs.backup.addRepository': addRepositoryCommand,
};
