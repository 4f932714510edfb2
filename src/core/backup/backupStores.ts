import { FolderStore } from './folderStore';
import { BackupJob } from './job';
import { ResticRepository } from './restic/resticCli';
import { ResticStore } from './restic/resticStore';
import { BackupStore } from './store';

/** How a caller turns a repository URL into what restic is given (its secrets come from SecretStorage or the secrets file). */
export type RepositoryOf = (url: string, options?: string[]) => Promise<ResticRepository>;

/** The store a job writes to: its restic repository, else its destination folder. */
export async function storeOfJob(job: BackupJob, repositoryOf: RepositoryOf): Promise<BackupStore> {
  return job.repository ? new ResticStore(await repositoryOf(job.repository, job.resticOptions)) : new FolderStore(job.destination!);
}

/**
 * A backup as `vdvs ls` and the Volumes view name it: a folder, or `<repository>#<host>/<volume>/<key>`
 * for one in a restic repository (the repository as shown, any password masked).
 */
export function repositoryOfRef(ref: string): string | undefined {
  const hash = ref.lastIndexOf('#');
  return hash > 0 && /^[^#]+\/[^/#]+\/[^/#]+$/.test(ref.slice(hash + 1)) ? ref.slice(0, hash) : undefined;
}
