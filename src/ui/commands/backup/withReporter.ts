import * as vscode from 'vscode';
import { CancelledError } from '../../../core/abort';
import { formatProgress } from '../../../core/backup/progress';
import { Reporter } from '../../../core/backup/reporter';
import { Services } from '../../services';

/** Runs a long backup operation under a cancellable notification that shows its steps and progress; the log keeps every step. */
export async function withBackupProgress<T>(
  services: Services,
  title: string,
  work: (reporter: Reporter, signal: AbortSignal) => Promise<T>,
): Promise<T> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title, cancellable: true },
    async (progress, token) => {
      const controller = new AbortController();
      const sub = token.onCancellationRequested(() => controller.abort());
      const reporter: Reporter = {
        step: (m) => {
          services.log.info(`${title}: ${m}`);
          progress.report({ message: m });
        },
        warn: (m) => services.log.warn(`${title}: ${m}`),
        progress: (p) => progress.report({ message: formatProgress(p) }),
      };
      try {
        return await work(reporter, controller.signal);
      } catch (err) {
        if (controller.signal.aborted) throw new CancelledError(title);
        throw err;
      } finally {
        sub.dispose();
      }
    },
  );
}
