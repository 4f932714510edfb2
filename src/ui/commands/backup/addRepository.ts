import { repositoryUrlProblem } from '../../../core/backup/job';
import { displayUrl, restic } from '../../../core/backup/restic/resticCli';
import { RepositorySecrets, resticRepository } from '../../../core/backup/restic/repositorySecrets';
import { UserError } from '../../../core/errors';
import { RepositorySetting, resticProgram, saveRepository } from '../../backupStores';
import { CommandContext } from '../../commandContext';
import { answered } from '../../prompter';
import { withBackupProgress } from './withReporter';

/**
 * Add Backup Repository…: a restic repository's URL and secrets (password; a REST server's user and
 * password; S3 keys), checked by opening it. An empty location is offered `restic init` after a
 * confirmation. The URL goes to the vdvs.backup.repositories setting, the secrets to SecretStorage.
 * Resolves with the URL added.
 */
export async function addRepositoryCommand(ctx: CommandContext): Promise<string | undefined> {
  const { services, ui } = ctx;
  const title = 'Add Backup Repository';
  const ask = async (
    id: string,
    prompt: string,
    opts: {
      password?: boolean;
      optional?: boolean;
      value?: string;
      placeholder?: string;
      check?: (typed: string) => Promise<string | undefined>;
    } = {},
  ) =>
    answered(
      ui.input({
        id,
        title,
        step: 1,
        totalSteps: 1,
        prompt,
        value: opts.value ?? '',
        ...(opts.placeholder ? { placeholder: opts.placeholder } : {}),
        ...(opts.password ? { password: true } : {}),
        ...(opts.check ? { check: opts.check } : {}),
        validate: (v) => (opts.optional || v ? undefined : 'Required'),
      }),
    );
  const url = await ask(
    'url',
    'restic repository: /path, sftp:user@host:/path, rest:http://host:8000/, s3:host/bucket, rclone:remote:path',
    {
      placeholder: 'sftp:backup@nas:/srv/restic',
    },
  );
  if (url === undefined) return undefined;
  const problem = repositoryUrlProblem(url.trim());
  if (problem) throw new UserError(`The repository ${problem}`, undefined, 'BAD_ARGUMENT');
  const setting: RepositorySetting = { url: url.trim() };
  const secrets: RepositorySecrets = { password: '' };
  if (setting.url.startsWith('rest:')) {
    const user = await ask('restUser', 'REST server user (empty: none)', { optional: true });
    if (user === undefined) return undefined;
    if (user) {
      const pass = await ask('restPassword', `Password of ${user} on the REST server`, { password: true });
      if (pass === undefined) return undefined;
      Object.assign(secrets, { restUser: user, restPassword: pass });
    }
  }
  if (setting.url.startsWith('s3:')) {
    const id = await ask('awsAccessKeyId', 'S3 access key id (AWS_ACCESS_KEY_ID)');
    if (id === undefined) return undefined;
    const key = await ask('awsSecretAccessKey', 'S3 secret access key (AWS_SECRET_ACCESS_KEY)', { password: true });
    if (key === undefined) return undefined;
    secrets.env = { AWS_ACCESS_KEY_ID: id, AWS_SECRET_ACCESS_KEY: key };
  }
  if (setting.url.startsWith('sftp:')) {
    const command = await ask('sftpCommand', 'SSH command for SFTP (empty: ssh with your ~/.ssh/config)', {
      optional: true,
      placeholder: 'ssh -p 2222 -i ~/.ssh/backup backup@nas -s sftp',
    });
    if (command === undefined) return undefined;
    if (command) setting.options = [`sftp.command=${command}`];
  }
  const program = resticProgram();
  const repoWith = (password: string) =>
    resticRepository(
      setting.url,
      { ...secrets, password },
      { ...(setting.options ? { options: setting.options } : {}), ...(program ? { program } : {}) },
    );
  const shown = displayUrl(setting.url);
  // the password box opens the repository: a wrong password is said in the box, which stays open
  let state: 'open' | 'empty' | undefined;
  const open = async (typed: string): Promise<string | undefined> => {
    try {
      await restic(repoWith(typed), ['cat', 'config']);
      state = 'open';
    } catch (err) {
      if (err instanceof UserError && err.code === 'RESTIC_WRONG_PASSWORD') return err.message;
      if (!(err instanceof UserError && err.code === 'RESTIC_NO_REPOSITORY')) throw err;
      state = 'empty';
    }
    return undefined;
  };
  const password = await ask('password', `Password of the restic repository ${shown}`, { password: true, check: open });
  if (password === undefined) return undefined;
  // a prompter that does not run the check (automation) gets the same one here
  if (!state) {
    const wrong = await open(password);
    if (wrong) throw new UserError(wrong, 'Run Add Backup Repository… again with the right password.', 'RESTIC_WRONG_PASSWORD');
  }
  secrets.password = password;
  const empty = state === 'empty';
  if (empty) {
    const init = await ui.confirm(
      `There is no restic repository at ${shown}. Create one?`,
      'restic init creates an empty, encrypted repository there with the password you entered. Keep the password safe: without it the backups cannot be read.',
      ['Create Repository'],
    );
    if (init !== 'Create Repository') return undefined;
    await withBackupProgress(services, `Creating ${shown}`, (_r, signal) => restic(repoWith(password), ['init'], { signal }));
  }
  await saveRepository(services, setting, secrets);
  services.log.info(`backup repository ${shown} added`);
  void ui.notify(
    'info',
    `Added the backup repository ${shown}: each Docker host now has a task backing up to it, and the Volumes view lists its backups.`,
  );
  return setting.url;
}
