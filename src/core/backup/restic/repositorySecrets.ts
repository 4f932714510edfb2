import { UserError } from '../../errors';
import { ResticRepository } from './resticCli';

/**
 * What a repository needs that must stay secret: its password, a REST server's user and password
 * (restic 0.14 reads them only from the URL, so the URL with them exists only in restic's
 * environment), and backend credentials such as AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
 * The extension keeps this in SecretStorage, the CLI in the secrets file.
 */
export interface RepositorySecrets {
  password: string;
  restUser?: string;
  restPassword?: string;
  env?: Record<string, string>;
}

/** The repository as restic is given it: the job's URL, with a REST server's credentials put in. */
export function resticRepository(
  url: string,
  secrets: RepositorySecrets,
  extra: { options?: string[]; program?: string } = {},
): ResticRepository {
  let full = url;
  if (secrets.restUser !== undefined) {
    const m = /^rest:(https?):\/\/(.*)$/.exec(url);
    if (!m) throw new UserError(`A REST user is set for ${url}, which is not a rest:http(s):// repository.`, undefined, 'BAD_CONFIG');
    full = `rest:${m[1]}://${encodeURIComponent(secrets.restUser)}:${encodeURIComponent(secrets.restPassword ?? '')}@${m[2]}`;
  }
  return { url: full, password: secrets.password, ...(secrets.env ? { env: secrets.env } : {}), ...extra };
}

/** Checks secrets read from JSON (the secrets file, SecretStorage); `where` names them without their values. */
export function checkRepositorySecrets(value: unknown, where: string): RepositorySecrets {
  const bad = (what: string) => new UserError(`${where}: ${what}`, undefined, 'BAD_CONFIG');
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('must be an object with "password".');
  const o = value as Record<string, unknown>;
  const extra = Object.keys(o).filter((k) => !['password', 'restUser', 'restPassword', 'env'].includes(k));
  if (extra.length) throw bad(`unknown key(s) ${extra.join(', ')} (known: password, restUser, restPassword, env).`);
  if (typeof o.password !== 'string' || !o.password) throw bad('"password" is missing.');
  for (const k of ['restUser', 'restPassword'] as const)
    if (o[k] !== undefined && typeof o[k] !== 'string') throw bad(`"${k}" must be a string.`);
  if (o.env !== undefined) {
    const env = o.env as Record<string, unknown>;
    if (typeof env !== 'object' || env === null || !Object.values(env).every((v) => typeof v === 'string'))
      throw bad('"env" must map variable names to strings.');
  }
  return o as unknown as RepositorySecrets;
}
