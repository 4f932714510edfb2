import { open, readFile } from 'node:fs/promises';
import { DockerHostConfig, EsxiHostConfig, SshSettings } from '../config';
import { DEFAULT_PLUGIN_ALIAS } from '../docker/plugin';
import { UserError } from '../errors';
import { BackupJob, checkJob, JOB_KEYS, unknownKeys } from './job';
import { checkRepositorySecrets, RepositorySecrets } from './restic/repositorySecrets';

/**
 * The `vdvs` CLI's JSON config: hosts and jobs, never secrets. Secrets come from a file the user
 * names (`--secrets`) or from environment variables, so the config can be shared and committed.
 */
export interface CliConfig {
  dockerHosts: CliDockerHost[];
  esxiHosts: EsxiHostConfig[];
  jobs: (BackupJob & { name: string })[];
  requestTimeoutSeconds: number;
  caBundlePath?: string;
  /** The alias of the vsphere plugin on Docker hosts that name none (default `vsphere`). */
  pluginAlias: string;
  /** The restic program for jobs with a repository (default `restic` on PATH). */
  resticPath?: string;
}

/** A Docker host of the config: the extension's fields, and the alias of its vDVS plugin (its own `pluginAlias`, else the config's). */
export interface CliDockerHost extends DockerHostConfig {
  pluginAlias: string;
}

export interface CliSecrets {
  esxiPassword(host: EsxiHostConfig): string;
  sshPassphrase(host: DockerHostConfig): string | undefined;
  repository(url: string): RepositorySecrets;
}

const SECRET_KEYS = /^(password|passphrase|secret|token|sshPassphrase)$/i;

/** The keys the config accepts at each level; anything else is refused by name (a typo must not be ignored). */
export const CONFIG_KEYS = {
  top: ['dockerHosts', 'esxiHosts', 'jobs', 'requestTimeoutSeconds', 'caBundlePath', 'pluginAlias', 'resticPath'],
  dockerHosts: ['name', 'endpoint', 'tlsCertPath', 'sshKeyPath', 'sshHostKeyFingerprint', 'esxiHost', 'vm', 'pluginAlias'],
  esxiHosts: ['name', 'url', 'user', 'thumbprint', 'ssh'],
  ssh: ['host', 'port', 'user', 'auth', 'keyPath', 'hostKeyFingerprint'],
  jobs: ['name', ...JOB_KEYS],
} as const;

export async function loadCliConfig(path: string): Promise<CliConfig> {
  const value = await readJson(path, 'config');
  return parseCliConfig(value, path);
}

export function parseCliConfig(value: unknown, where: string): CliConfig {
  const bad = (what: string, hint?: string) => new UserError(`${where}: ${what}`, hint, 'BAD_CONFIG');
  if (!isObject(value)) throw bad('the config must be a JSON object with dockerHosts, esxiHosts and jobs.');
  const secret = findSecretKey(value);
  if (secret)
    throw bad(
      `"${secret}" looks like a secret; the config must not hold any.`,
      'Move it to the file given with --secrets, or to an environment variable (see vdvs --help).',
    );
  const refuseUnknown = (level: keyof typeof CONFIG_KEYS, o: Record<string, unknown>, what: string) => {
    const unknown = unknownKeys(o, CONFIG_KEYS[level]);
    if (unknown.length)
      throw bad(`unknown key(s) ${unknown.map((k) => `"${k}"`).join(', ')} in ${what}.`, `Known there: ${CONFIG_KEYS[level].join(', ')}.`);
  };
  refuseUnknown('top', value, 'the config');
  const pluginAlias = value.pluginAlias ?? DEFAULT_PLUGIN_ALIAS;
  if (typeof pluginAlias !== 'string' || !pluginAlias.trim())
    throw bad('"pluginAlias" must be the name the vsphere plugin is installed under (default "vsphere").');
  const list = (key: string): Record<string, unknown>[] => {
    const v = value[key] ?? [];
    if (!Array.isArray(v) || !v.every(isObject)) throw bad(`"${key}" must be a list of objects.`);
    return v;
  };
  const names = new Set<string>();
  const named = (kind: string, o: Record<string, unknown>, i: number): string => {
    if (typeof o.name !== 'string' || !o.name) throw bad(`${kind}[${i}] has no "name".`);
    if (names.has(`${kind}:${o.name}`)) throw bad(`two ${kind} are named ${o.name}.`);
    names.add(`${kind}:${o.name}`);
    return o.name;
  };
  const dockerHosts = list('dockerHosts').map((o, i): CliDockerHost => {
    const name = named('dockerHosts', o, i);
    refuseUnknown('dockerHosts', o, `dockerHosts ${name}`);
    if (typeof o.endpoint !== 'string' || !o.endpoint)
      throw bad(`dockerHosts ${name} has no "endpoint" (unix:///var/run/docker.sock, tcp://host:2376, ssh://user@host).`);
    const text = (key: string) => {
      if (o[key] !== undefined && (typeof o[key] !== 'string' || !o[key]))
        throw bad(`dockerHosts ${name}: "${key}" must be a non-empty string.`);
      return o[key];
    };
    const [tlsCertPath, sshKeyPath, sshHostKeyFingerprint, esxiHostId, vmName, hostAlias] = [
      'tlsCertPath',
      'sshKeyPath',
      'sshHostKeyFingerprint',
      'esxiHost',
      'vm',
      'pluginAlias',
    ].map(text);
    return {
      id: name,
      name,
      endpoint: o.endpoint,
      pluginAlias: (hostAlias ?? pluginAlias).trim(),
      ...defined({ tlsCertPath, sshKeyPath, sshHostKeyFingerprint, esxiHostId, vmName }),
    };
  });
  const esxiHosts = list('esxiHosts').map((o, i): EsxiHostConfig => {
    const name = named('esxiHosts', o, i);
    refuseUnknown('esxiHosts', o, `esxiHosts ${name}`);
    if (typeof o.url !== 'string' || typeof o.user !== 'string') throw bad(`esxiHosts ${name} needs "url" (https://host/sdk) and "user".`);
    return {
      id: name,
      name,
      url: o.url,
      user: o.user,
      ...(typeof o.thumbprint === 'string' ? { thumbprint: o.thumbprint } : {}),
      ...(o.ssh !== undefined ? { ssh: parseSsh(o.ssh, name, o.url) } : {}),
    };
  });
  /** The ESXi shell of a host (doctor: the VIB's version): a password login uses the host's password from the secrets. */
  function parseSsh(v: unknown, name: string, url: string): SshSettings {
    if (!isObject(v)) throw bad(`esxiHosts ${name}: "ssh" must be an object {host, port, user, auth, keyPath, hostKeyFingerprint}.`);
    refuseUnknown('ssh', v, `esxiHosts ${name} ssh`);
    const auth = v.auth ?? (v.keyPath ? 'key' : 'agent');
    if (auth !== 'key' && auth !== 'agent' && auth !== 'password')
      throw bad(`esxiHosts ${name}: ssh "auth" must be key, agent or password.`);
    const host = v.host ?? hostOf(url);
    const port = v.port ?? 22;
    if (typeof host !== 'string' || !host || typeof port !== 'number' || !Number.isInteger(port))
      throw bad(`esxiHosts ${name}: ssh needs a "host" and an integer "port".`);
    if (auth === 'key' && typeof v.keyPath !== 'string') throw bad(`esxiHosts ${name}: ssh auth "key" needs "keyPath".`);
    return {
      host,
      port,
      user: typeof v.user === 'string' && v.user ? v.user : 'root',
      auth,
      ...(typeof v.keyPath === 'string' ? { keyPath: v.keyPath } : {}),
      ...(typeof v.hostKeyFingerprint === 'string' ? { hostKeyFingerprint: v.hostKeyFingerprint } : {}),
    };
  }
  const jobs = list('jobs').map((o, i) => {
    const name = named('jobs', o, i);
    refuseUnknown('jobs', o, `job ${name}`);
    const { name: _name, ...definition } = o;
    const job = checkJob(definition, `${where}: job ${name}`);
    if (!dockerHosts.some((h) => h.name === job.dockerHost))
      throw bad(`job ${name} names Docker host "${job.dockerHost}", which is not in dockerHosts.`);
    if (job.esxiHost && !esxiHosts.some((h) => h.name === job.esxiHost))
      throw bad(`job ${name} names ESXi host "${job.esxiHost}", which is not in esxiHosts.`);
    return { ...job, name };
  });
  const timeout = value.requestTimeoutSeconds ?? 30;
  if (typeof timeout !== 'number' || !(timeout > 0)) throw bad('"requestTimeoutSeconds" must be a positive number.');
  return {
    dockerHosts,
    esxiHosts,
    jobs,
    requestTimeoutSeconds: timeout,
    pluginAlias: pluginAlias.trim(),
    ...(typeof value.caBundlePath === 'string' ? { caBundlePath: value.caBundlePath } : {}),
    ...(typeof value.resticPath === 'string' && value.resticPath ? { resticPath: value.resticPath } : {}),
  };
}

/** `VDVS_ESXI_PASSWORD_<NAME>` / `VDVS_SSH_PASSPHRASE_<NAME>`: the host name upper-cased, other characters as `_`. */
export function secretEnvName(kind: 'ESXI_PASSWORD' | 'SSH_PASSPHRASE', hostName: string): string {
  return `VDVS_${kind}_${hostName.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/**
 * Secrets from `--secrets FILE` (`{"esxiHosts": {"<name>": {"password": "…"}}, "dockerHosts":
 * {"<name>": {"sshPassphrase": "…"}}, "repositories": {"<url>": {"password": "…", "env": {…}}}}`)
 * and from the environment, which wins (a repository: RESTIC_PASSWORD when the file names none).
 */
export async function loadCliSecrets(file: string | undefined, env: NodeJS.ProcessEnv): Promise<CliSecrets> {
  const fromFile = file ? await readSecretsFile(file) : {};
  const section = (key: string, name: string): Record<string, unknown> => {
    const s = isObject(fromFile) ? fromFile[key] : undefined;
    const entry = isObject(s) ? s[name] : undefined;
    return isObject(entry) ? entry : {};
  };
  return {
    esxiPassword(host) {
      const v = env[secretEnvName('ESXI_PASSWORD', host.name)] ?? section('esxiHosts', host.name).password;
      if (typeof v !== 'string' || !v) {
        throw new UserError(
          `No password for ESXi host ${host.name}.`,
          `Set ${secretEnvName('ESXI_PASSWORD', host.name)}, or give --secrets FILE with {"esxiHosts": {"${host.name}": {"password": "…"}}}.`,
          'NO_SECRET',
        );
      }
      return v;
    },
    sshPassphrase(host) {
      const v = env[secretEnvName('SSH_PASSPHRASE', host.name)] ?? section('dockerHosts', host.name).sshPassphrase;
      return typeof v === 'string' && v ? v : undefined;
    },
    repository(url) {
      const entry = section('repositories', url);
      const password = entry.password ?? env.RESTIC_PASSWORD;
      if (typeof password !== 'string' || !password)
        throw new UserError(
          `No password for the restic repository ${url}.`,
          `Give --secrets FILE with {"repositories": {"${url}": {"password": "…"}}}, or set RESTIC_PASSWORD.`,
          'NO_SECRET',
        );
      return checkRepositorySecrets({ ...entry, password }, `the secrets of repository ${url}`);
    },
  };
}

async function readJson(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new UserError(`Cannot read the ${what} ${path}: ${(err as Error).message}.`, undefined, 'BAD_CONFIG');
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UserError(`The ${what} ${path} is not valid JSON: ${(err as Error).message}.`, undefined, 'BAD_CONFIG');
  }
}

/**
 * The secrets file, refused (as ssh refuses a private key) when group or others may read it, and
 * when malformed reported by position only: a JSON error message quotes the text around the error,
 * which here is a password.
 */
async function readSecretsFile(path: string): Promise<unknown> {
  let text: string;
  try {
    const handle = await open(path, 'r');
    try {
      const { mode } = await handle.stat();
      if (process.platform !== 'win32' && mode & 0o077) {
        throw new UserError(
          `The secrets file ${path} can be read by others (mode ${(mode & 0o777).toString(8).padStart(4, '0')}).`,
          `Make it private to its owner: chmod 600 ${path}`,
          'SECRETS_FILE_OPEN',
        );
      }
      text = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`Cannot read the secrets file ${path}: ${(err as Error).message}.`, undefined, 'BAD_CONFIG');
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    const position = /at position (\d+)/.exec((err as Error).message);
    const where = position ? ` at ${lineAndColumn(text, Number(position[1]))}` : '';
    throw new UserError(
      `The secrets file ${path} is not valid JSON${where} (its text is not shown: it holds secrets).`,
      `Find the error with: jq empty ${path} (or python3 -m json.tool ${path} > /dev/null).`,
      'BAD_CONFIG',
    );
  }
}

function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `line ${before.length}, column ${before[before.length - 1].length + 1}`;
}

function findSecretKey(value: unknown): string | undefined {
  if (Array.isArray(value)) return value.map(findSecretKey).find(Boolean);
  if (!isObject(value)) return undefined;
  for (const [k, v] of Object.entries(value)) {
    if (SECRET_KEYS.test(k)) return k;
    const inner = findSecretKey(v);
    if (inner) return inner;
  }
  return undefined;
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname;
  } catch {
    return undefined;
  }
}

/** The entries whose value is set. */
function defined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
