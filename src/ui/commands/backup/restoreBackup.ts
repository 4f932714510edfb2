import * as vscode from 'vscode';
import { restoreBackup } from '../../../core/backup/restore';
import { parseVolumeName } from '../../../core/vdvs/names';
import { listVolumes } from '../../../core/docker/volumes';
import { UserError } from '../../../core/errors';
import { esxiSessions } from '../../esxiSessions';
import { Services } from '../../services';
import { helperImage } from '../../tasks/backupSettings';
import { openDockerHost } from '../volume/openDocker';
import { backupLabel, pickBackup } from './pickBackup';
import { withBackupProgress } from './withReporter';

/**
 * Restore: pick a backup, a Docker host (the one it came from by default), then a new volume (named
 * after the backed-up one) or an existing one; a non-empty target needs an explicit modal confirmation.
 */
export async function restoreBackupCommand(services: Services, arg?: unknown): Promise<void> {
  const backup = await pickBackup(arg, 'Restore a Backup');
  if (!backup) return;
  const hosts = services.hosts.list('docker');
  if (!hosts.length) throw new UserError('No Docker host is configured to restore into.', 'Add one in the Docker Hosts view.', 'NO_HOST');
  const origin = hosts.find((h) => h.name === backup.manifest.dockerHost);
  const ordered = origin ? [origin, ...hosts.filter((h) => h !== origin)] : hosts;
  const hostPick = hosts.length === 1 ? { host: hosts[0] } : await vscode.window.showQuickPick(
    ordered.map((h) => ({ label: h.name, description: h === origin ? 'where the backup was taken' : h.endpoint, host: h })),
    { title: 'Restore into which Docker host?' },
  );
  if (!hostPick) return;
  const host = hostPick.host;
  const conn = await openDockerHost(services, host);
  try {
    const kind = await vscode.window.showQuickPick(
      [
        { label: '$(new-folder) New volume', description: `created with the backed-up options (${backup.manifest.volume.driver})`, target: 'new' as const },
        { label: '$(database) Existing volume', description: 'must be unused; must be empty unless you confirm', target: 'existing' as const },
      ],
      { title: `Restore ${backupLabel(backup.dir)}` },
    );
    if (!kind) return;
    let volume: string | undefined;
    if (kind.target === 'new') {
      const base = parseVolumeName(backup.manifest.volume.name).volume;
      volume = await vscode.window.showInputBox({ title: 'Name of the new volume', value: `${base}-restored`, validateInput: (v) => (v.trim() ? undefined : 'Enter a volume name') });
    } else {
      const volumes = await listVolumes(conn, { driver: backup.manifest.mode === 'snapshot' ? backup.manifest.volume.driver : undefined });
      volume = (await vscode.window.showQuickPick(volumes.map((v) => ({ label: v.name, description: v.driver })), { title: 'Restore into which volume?' }))?.label;
    }
    if (!volume) return;
    const esxiId = host.esxiHostId ?? services.hosts.list('esxi').find((h) => backup.manifest.source.kind === 'snapshot' && h.url === backup.manifest.source.vsphereUrl)?.id;
    const request = {
      conn,
      backupDir: backup.dir,
      volume: volume.trim(),
      target: kind.target,
      helperImage: helperImage(),
      vsphere: esxiId ? () => esxiSessions(services).get(esxiId) : undefined,
    };
    const run = (allowNonEmpty: boolean) => withBackupProgress(services, `Restoring into ${volume}`, (reporter, signal) => restoreBackup({ ...request, allowNonEmpty, reporter, signal }));
    try {
      await run(false);
    } catch (err) {
      if (!(err instanceof UserError && err.code === 'VOLUME_NOT_EMPTY')) throw err;
      const overwrite = await vscode.window.showWarningMessage(`Volume ${volume} is not empty.`, { modal: true, detail: 'Restoring writes the backup over its files; files not in the backup stay. This cannot be undone.' }, 'Overwrite');
      if (overwrite !== 'Overwrite') return;
      await run(true);
    }
    void vscode.window.showInformationMessage(`Restored ${backupLabel(backup.dir)} into ${volume} on ${host.name}.`);
  } finally {
    conn.close();
  }
}
