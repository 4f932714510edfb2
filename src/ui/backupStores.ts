import * as vscode from 'vscode';
import { repositoryOfRef, RepositoryOf, storeOfJob } from '../core/backup/backupStores';
import { FolderStore } from '../core/backup/folderStore';
import { BackupJob } from '../core/backup/job';
import { displayUrl } from '../core/backup/restic/resticCli';
import { checkRepositorySecrets, RepositorySecrets, resticRepository } from '../core/backup/restic/repositorySecrets';
import { ResticStore } from '../core/backup/restic/resticStore';
import { BackupStore } from '../core/backup/store';
import { UserError } from '../core/errors';
import { Services } from './services';
import { backupDestination } from './tasks/backupSettings';

/**
 * The backup stores the extension knows: the vdvs.backup.destination folder and the restic
 * repositories of vdvs.backup.repositories (user settings: the URL and restic options, never a
 * secret). A repository's password, REST credentials and backend keys are one SecretStorage entry.
 */
export interface RepositorySetting {
  url: string;
  options?: string[];
}

const SETTING = 'backup.repositories';

export function repositorySecretKey(url: string): string {
  return `vdvs.restic.${url}`;
}

export function configuredRepositories(): RepositorySetting[] {
  const raw = vscode.workspace.getConfiguration('vdvs').inspect<RepositorySetting[]>(SETTING)?.globalValue ?? [];
  return raw.filter((r) => r && typeof r.url === 'string' && r.url);
}

export function resticProgram(): string | undefined {
  return vscode.workspace.getConfiguration('vdvs').get<string>('restic.path') || undefined;
}

/** The repository as restic is given it; a repository without saved secrets is a UserError that says how to add them. */
export function repositoryOf(services: Services): RepositoryOf {
  return async (url, options) => {
    const stored = await services.context.secrets.get(repositorySecretKey(url));
    if (!stored)
      throw new UserError(
        `No password is saved for the restic repository ${displayUrl(url)}.`,
        'Run "Add Backup Repository…" with this URL to enter it.',
        'NO_SECRET',
      );
    const secrets = checkRepositorySecrets(JSON.parse(stored), `the saved secrets of ${displayUrl(url)}`);
    const setting = configuredRepositories().find((r) => r.url === url);
    const program = resticProgram();
    return resticRepository(url, secrets, {
      ...((options ?? setting?.options) ? { options: options ?? setting?.options } : {}),
      ...(program ? { program } : {}),
    });
  };
}

export function jobStore(services: Services, job: BackupJob): Promise<BackupStore> {
  return storeOfJob(job, repositoryOf(services));
}

/** Every store to list backups from: the folder, then each repository with saved secrets (one without is skipped, logged). */
export async function backupStores(services: Services): Promise<BackupStore[]> {
  const stores: BackupStore[] = [new FolderStore(backupDestination())];
  for (const r of configuredRepositories()) {
    try {
      stores.push(new ResticStore(await repositoryOf(services)(r.url, r.options)));
    } catch (err) {
      services.log.warn(`backup repository ${displayUrl(r.url)} skipped: ${(err as Error).message}`);
    }
  }
  return stores;
}

/** The store a backup (its `dir`: a folder or `<repository>#…`) is in. */
export async function storeOfBackup(services: Services, dir: string): Promise<BackupStore> {
  const shown = repositoryOfRef(dir);
  if (!shown) return new FolderStore(backupDestination());
  const setting = configuredRepositories().find((r) => displayUrl(r.url) === shown);
  if (!setting)
    throw new UserError(
      `The restic repository ${shown} is not in vdvs.backup.repositories.`,
      'Add it with "Add Backup Repository…".',
      'NOT_FOUND',
    );
  return new ResticStore(await repositoryOf(services)(setting.url, setting.options));
}

/** Saves a repository: its URL and options in user settings, its secrets in SecretStorage. */
export async function saveRepository(services: Services, setting: RepositorySetting, secrets: RepositorySecrets): Promise<void> {
  await services.context.secrets.store(repositorySecretKey(setting.url), JSON.stringify(secrets));
  const others = configuredRepositories().filter((r) => r.url !== setting.url);
  await vscode.workspace.getConfiguration('vdvs').update(SETTING, [...others, setting], vscode.ConfigurationTarget.Global);
}
