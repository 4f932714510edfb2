import { describePlan, restoreBackup, RestorePlan } from '../../../core/backup/restore';
import { pluginName } from '../../../core/docker/plugin';
import { parseVolumeName } from '../../../core/vdvs/names';
import { listVolumes } from '../../../core/docker/volumes';
import { UserError } from '../../../core/errors';
import { esxiSessions, withDocker } from '../../connections';
import { CommandContext } from '../../commandContext';
import { helperImage } from '../../tasks/backupSettings';
import { pluginAlias } from '../../settings';
import { targetHost } from '../docker/target';
import { answered } from '../../prompter';
import { backupLabel, pickBackup } from './pickBackup';
import { withBackupProgress } from './withReporter';

/**
 * Restore: pick a backup, a Docker host (the one it came from by default), then a new volume (named
 * after the backed-up one) or an existing one; a new volume is shown (driver, options or disk
 * files) and created only once confirmed; a non-empty target needs an explicit modal confirmation.
 * A caller's input (`{ prompter, hostId }`) may answer instead of the dialogs.
 * Resolves with the volume restored into.
 */
export async function restoreBackupCommand(ctx: CommandContext, target?: unknown): Promise<string | undefined> {
  const { services, ui: prompter, input } = ctx;
  const backup = await pickBackup(services, target, 'Restore a Backup', prompter);
  if (!backup) return undefined;
  const hosts = services.hosts.list('docker');
  if (!hosts.length) throw new UserError('No Docker host is configured to restore into.', 'Add one in the Docker Hosts view.', 'NO_HOST');
  const origin = hosts.find((h) => h.name === backup.manifest.dockerHost);
  const ordered = origin ? [origin, ...hosts.filter((h) => h !== origin)] : hosts;
  const host =
    input.hostId || hosts.length === 1
      ? await targetHost(ctx, undefined)
      : await answered(
          prompter.pick({
            id: 'dockerHost',
            title: 'Restore into which Docker host?',
            step: 1,
            totalSteps: 1,
            placeholder: 'Docker host',
            items: ordered.map((h) => ({ label: h.name, description: h === origin ? 'where the backup was taken' : h.endpoint, value: h })),
          }),
        );
  if (!host) return undefined;
  return withDocker(services, host, async (conn) => {
    const title = `Restore ${backupLabel(backup.where)}`;
    const target = await answered(
      prompter.pick({
        id: 'target',
        title,
        step: 1,
        totalSteps: 1,
        placeholder: 'Restore into',
        items: [
          {
            label: '$(new-folder) New volume',
            description: `a ${pluginAlias()} volume with the backed-up vDVS options, shown before it is created`,
            value: 'new' as const,
          },
          {
            label: '$(database) Existing volume',
            description: 'must be unused; must be empty unless you confirm',
            value: 'existing' as const,
          },
        ],
      }),
    );
    if (!target) return undefined;
    let volume: string | undefined;
    if (target === 'new') {
      const base = parseVolumeName(backup.manifest.volume.name).volume;
      volume = (
        await answered(
          prompter.input({
            id: 'volume',
            title: 'Name of the new volume',
            step: 1,
            totalSteps: 1,
            prompt: 'The volume to create and fill',
            value: `${base}-restored`,
            validate: (v) => (v.trim() ? undefined : 'Enter a volume name'),
          }),
        )
      )?.trim();
    } else {
      const volumes = await listVolumes(conn, { driver: backup.manifest.mode === 'snapshot' ? pluginName(pluginAlias()) : undefined });
      volume = await answered(
        prompter.pick({
          id: 'volume',
          title: 'Restore into which volume?',
          step: 1,
          totalSteps: 1,
          placeholder: 'Existing volume',
          items: volumes.map((v) => ({ label: v.name, description: v.driver, value: v.name })),
        }),
      );
    }
    if (!volume) return undefined;
    const esxiId =
      host.esxiHostId ??
      services.hosts.list('esxi').find((h) => backup.manifest.source.kind === 'snapshot' && h.url === backup.manifest.source.vsphereUrl)
        ?.id;
    const request = {
      conn,
      backup,
      volume,
      target,
      helperImage: helperImage(),
      pluginAlias: pluginAlias(),
      vsphere: esxiId ? () => esxiSessions(services).get(esxiId) : undefined,
      // what a new volume gets, computed and checked by the restore, before anything is created
      confirm: async (plan: RestorePlan) =>
        (await prompter.confirm(`Create volume ${plan.volume} on ${host.name} and restore into it?`, describePlan(plan).join('\n'), [
          'Restore',
        ])) === 'Restore',
    };
    const run = (allowNonEmpty: boolean) =>
      withBackupProgress(services, `Restoring into ${volume}`, (reporter, signal) =>
        restoreBackup({ ...request, allowNonEmpty, reporter, signal }),
      );
    try {
      await run(false);
    } catch (err) {
      if (err instanceof UserError && err.code === 'NOT_CONFIRMED') return undefined;
      if (!(err instanceof UserError && err.code === 'VOLUME_NOT_EMPTY')) throw err;
      const loses =
        backup.manifest.mode === 'snapshot'
          ? 'Its disk is replaced by the backed-up one: every file in it now is lost.'
          : 'Restoring writes the backup over its files; files not in the backup stay.';
      const overwrite = await prompter.confirm(`Volume ${volume} is not empty.`, `${loses} This cannot be undone.`, ['Overwrite']);
      if (overwrite !== 'Overwrite') return undefined;
      await run(true);
    }
    void prompter.notify('info', `Restored ${backupLabel(backup.where)} into ${volume} on ${host.name}.`);
    return volume;
  });
}
