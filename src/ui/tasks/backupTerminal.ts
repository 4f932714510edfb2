import * as vscode from 'vscode';
import { CancelledError } from '../../core/abort';
import { BackupJob } from '../../core/backup/job';
import { formatProgress, Progress } from '../../core/backup/progress';
import { Reporter } from '../../core/backup/reporter';
import { displayUrl } from '../../core/backup/restic/resticCli';
import { runBackupJob, summaryLines } from '../../core/backup/runJob';
import { errorMessage } from '../../core/errors';
import { jobStore } from '../backupStores';
import { esxiSessions, withDocker } from '../connections';
import { Services } from '../services';
import { findHost } from './hostLookup';

const CLEAR_LINE = '\r\x1b[2K';

/**
 * The terminal of a vdvs-backup task: prints each step, a progress line updated in place (bytes,
 * MB/s, ETA) and a summary; errors as `<destination>: error: <message>` for the vdvs-backup problem
 * matcher. Closing the terminal cancels the job, which cleans up (partial folder, snapshot, containers).
 */
export class BackupTerminal implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;
  private readonly cancel = new AbortController();
  private progressShown = false;

  constructor(
    private readonly services: Services,
    private readonly job: BackupJob | Error,
  ) {}

  open(): void {
    void this.run().then((code) => this.closeEmitter.fire(code));
  }

  close(): void {
    this.cancel.abort();
  }

  private async run(): Promise<number> {
    const job = this.job;
    if (job instanceof Error) {
      this.error('tasks.json', errorMessage(job));
      return 2;
    }
    // the problem matcher's file: the folder, or the repository as shown (no password)
    const where = job.repository ? displayUrl(job.repository) : job.destination!;
    const reporter: Reporter = {
      step: (m) => this.line(`> ${m}`),
      warn: (m) => this.line(`${where}: warning: ${m}`),
      progress: (p) => this.progress(p),
    };
    try {
      const host = findHost(this.services, 'docker', job.dockerHost);
      const esxiId = job.esxiHost ? findHost(this.services, 'esxi', job.esxiHost).id : host.esxiHostId;
      return await withDocker(this.services, host, async (conn) => {
        const summary = await runBackupJob(job, {
          conn,
          store: await jobStore(this.services, job),
          vsphere: esxiId ? () => esxiSessions(this.services).get(esxiId, this.cancel.signal) : undefined,
          vmName: host.vmName,
          signal: this.cancel.signal,
          reporter,
        });
        for (const line of summaryLines(summary)) this.line(line);
        for (const r of summary.results) if (r.error) this.error(where, `${r.volume}: ${r.error}`);
        return summary.ok ? 0 : 1;
      });
    } catch (err) {
      if (err instanceof CancelledError || this.cancel.signal.aborted) {
        this.line('Cancelled: partial backups, snapshots and stopped containers were cleaned up.');
        return 130;
      }
      this.services.log.error(`vdvs-backup: ${errorMessage(err)}`);
      this.error(where, errorMessage(err));
      return 1;
    }
  }

  private line(text: string): void {
    this.writeEmitter.fire(`${this.progressShown ? CLEAR_LINE : ''}${text.replace(/\n/g, '\r\n')}\r\n`);
    this.progressShown = false;
  }

  private error(where: string, message: string): void {
    this.line(`${where}: error: ${message}`);
  }

  private progress(p: Progress): void {
    this.writeEmitter.fire(`${CLEAR_LINE}  ${formatProgress(p)}`);
    this.progressShown = true;
  }
}
