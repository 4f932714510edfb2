import { formatBytes } from '../../../core/backup/progress';
import { describeProblem, VerifyReport } from '../../../core/backup/verify';
import { UserError } from '../../../core/errors';
import { CommandContext } from '../../commandContext';

import { backupLabel, pickBackup } from './pickBackup';
import { withBackupProgress } from './withReporter';

/**
 * Verify: recompute every hash of a backup and report each mismatch, missing or extra file (each in
 * the log, all in the error shown). A caller's input (`{ prompter }`) may answer the
 * pick. Resolves with the report of an intact backup.
 */
export async function verifyBackupCommand({ services, ui }: CommandContext, target?: unknown): Promise<VerifyReport | undefined> {
  const backup = await pickBackup(services, target, 'Verify a Backup', ui);
  if (!backup) return undefined;
  const report = await withBackupProgress(services, `Verifying ${backupLabel(backup.where)}`, (reporter, signal) =>
    backup.verify({ signal, onProgress: (p) => reporter.progress(p) }),
  );
  if (!report.ok) {
    for (const p of report.problems) services.log.error(`${backup.where}: ${describeProblem(p)}`);
    throw new UserError(
      `${backupLabel(backup.where)} is damaged: ${report.problems.map(describeProblem).join('; ')}.`,
      'Restore from another backup; the log lists every problem.',
      'BACKUP_DAMAGED',
    );
  }
  void ui.notify(
    'info',
    `${backupLabel(backup.where)} is intact: ${report.checked} file(s), ${formatBytes(report.bytes)}, every sha256 matches.`,
  );
  return report;
}
