import { UserError } from '../errors';
import { BackupHook, BackupHooks } from './hooks';
import { Compression, BackupMode } from './manifest';
import { checkRetain } from './retention';

/**
 * One backup job: the `vdvs-backup` task definition and an entry of the CLI's `jobs`. Hosts are
 * referred to by name; secrets are never part of a job.
 */
export interface BackupJob {
  /** Name of a configured Docker host. */
  dockerHost: string;
  /** Volume names, or "all" for every vsphere volume of the host. */
  volumes: string[] | 'all';
  mode: BackupMode;
  /** Folder that receives `<docker host>/<volume>/<timestamp>/`; absent when the job names a repository. */
  destination?: string;
  /** A restic repository instead of a folder: `/path`, `sftp:…`, `rest:…`, `s3:…`, `rclone:…`. Its password is a secret, never here. */
  repository?: string;
  /** restic `-o` options for the repository, e.g. `sftp.command=ssh -p 2222 backup@nas -s sftp`. */
  resticOptions?: string[];
  /** How many good backups to keep per volume. */
  retain: number;
  compression?: Compression;
  /** Stop the containers using a volume while it is read (archive) or snapshotted (snapshot mode: started again before the download). */
  stopContainers?: boolean;
  /** How long `docker stop` waits before it kills a container (default 30 s). */
  stopTimeoutSeconds?: number;
  /** Commands run in named containers before and after the snapshot or archive; a failing pre hook aborts. */
  hooks?: BackupHooks;
  /** Snapshot mode: name of the ESXi host or vCenter, and the Docker host VM (found when absent). */
  esxiHost?: string;
  vm?: string;
  /** Archive mode: the image of the helper container (default alpine:latest). */
  helperImage?: string;
}

/**
 * Every key a job may hold, in tasks.json and in the CLI config's `jobs`: the one list checkJob
 * (and the error message) use. A new job setting is one line here, one in BackupJob and one in
 * package.json's taskDefinitions.
 */
export const JOB_KEYS = [
  'dockerHost',
  'volumes',
  'mode',
  'destination',
  'repository',
  'resticOptions',
  'retain',
  'compression',
  'stopContainers',
  'stopTimeoutSeconds',
  'hooks',
  'esxiHost',
  'vm',
  'helperImage',
] as const;

/** Keys VS Code itself puts in a task definition. */
const TASK_KEYS = [
  'type',
  'label',
  'problemMatcher',
  'group',
  'presentation',
  'detail',
  'isBackground',
  'runOptions',
  'icon',
  'hide',
  'dependsOn',
  'dependsOrder',
];

/** The keys of `value` that `known` does not list, for "unknown setting" errors that name them. */
export function unknownKeys(value: Record<string, unknown>, known: readonly string[]): string[] {
  return Object.keys(value).filter((k) => !known.includes(k));
}

export const DEFAULT_HELPER_IMAGE = 'alpine:latest';
export const DEFAULT_RETAIN = 7;

/** Checks a job read from JSON (tasks.json or the CLI config); each problem is named. */
export function checkJob(value: unknown, where: string): BackupJob {
  const bad = (what: string, hint?: string) => new UserError(`${where}: ${what}`, hint, 'BAD_JOB');
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('a backup job must be an object.');
  const j = value as Record<string, unknown>;
  const unknown = unknownKeys(j, [...JOB_KEYS, ...TASK_KEYS]);
  if (unknown.length) throw bad(`unknown setting(s) ${unknown.join(', ')}.`, `Known: ${JOB_KEYS.join(', ')}.`);
  if (['password', 'passphrase', 'secret'].some((k) => k in j))
    throw bad('secrets do not belong in a job.', 'Use a secrets file or environment variables.');
  if (typeof j.dockerHost !== 'string' || !j.dockerHost) throw bad('"dockerHost" is missing: name the Docker host to back up.');
  const volumes = j.volumes ?? 'all';
  if (volumes !== 'all' && !(Array.isArray(volumes) && volumes.length > 0 && volumes.every((v) => typeof v === 'string' && v))) {
    throw bad('"volumes" must be "all" or a non-empty list of volume names.');
  }
  const mode = j.mode ?? 'archive';
  if (mode !== 'archive' && mode !== 'snapshot') throw bad(`"mode" must be "archive" or "snapshot" (got ${JSON.stringify(mode)}).`);
  if (j.destination !== undefined && j.repository !== undefined)
    throw bad('"destination" and "repository" are both set: a job writes to a folder or to a restic repository, not both.');
  if (j.repository !== undefined) checkRepositoryUrl(j.repository, bad);
  else if (typeof j.destination !== 'string' || !j.destination)
    throw bad('"destination" is missing: the folder that receives the backups (or "repository": a restic repository).');
  const resticOptions = j.resticOptions;
  if (resticOptions !== undefined) {
    if (j.repository === undefined) throw bad('"resticOptions" apply to a restic "repository" only.');
    if (!Array.isArray(resticOptions) || !resticOptions.every((o) => typeof o === 'string' && /^[a-z0-9.]+=./i.test(o)))
      throw bad('"resticOptions" must be a list of "key=value" restic options, e.g. ["sftp.command=ssh -p 2222 nas -s sftp"].');
  }
  const retain = checkRetain(j.retain ?? DEFAULT_RETAIN);
  const compression = j.compression ?? 'none';
  if (compression !== 'none' && compression !== 'gzip')
    throw bad(`"compression" must be "none" or "gzip" (got ${JSON.stringify(compression)}).`);
  if (j.repository !== undefined && compression !== 'none')
    throw bad('"compression" must be "none" with a restic repository: restic compresses itself, and gzip would defeat its deduplication.');
  if (mode === 'snapshot' && compression !== 'none')
    throw bad('"compression" applies to archive mode only; snapshot backups keep the disk files as they are.');
  if (j.stopContainers !== undefined && typeof j.stopContainers !== 'boolean') throw bad('"stopContainers" must be true or false.');
  const stopTimeout = j.stopTimeoutSeconds;
  if (stopTimeout !== undefined && !(typeof stopTimeout === 'number' && Number.isInteger(stopTimeout) && stopTimeout >= 0))
    throw bad('"stopTimeoutSeconds" must be a whole number of seconds (0 or more).');
  const hooks = j.hooks === undefined ? undefined : checkHooks(j.hooks, bad);
  for (const k of ['esxiHost', 'vm', 'helperImage'] as const)
    if (j[k] !== undefined && (typeof j[k] !== 'string' || !j[k])) throw bad(`"${k}" must be a non-empty string.`);
  return {
    dockerHost: j.dockerHost,
    volumes: volumes as BackupJob['volumes'],
    mode,
    ...(typeof j.repository === 'string' ? { repository: j.repository } : { destination: j.destination as string }),
    ...(resticOptions ? { resticOptions: resticOptions as string[] } : {}),
    retain,
    compression,
    stopContainers: j.stopContainers === true,
    ...(stopTimeout !== undefined ? { stopTimeoutSeconds: stopTimeout } : {}),
    ...(hooks ? { hooks } : {}),
    ...(j.esxiHost ? { esxiHost: j.esxiHost as string } : {}),
    ...(j.vm ? { vm: j.vm as string } : {}),
    ...(j.helperImage ? { helperImage: j.helperImage as string } : {}),
  };
}

/** `{"pre": [{"container": "db", "command": ["sh", "-c", "…"]}], "post": […]}`, each problem named. */
function checkHooks(value: unknown, bad: (what: string, hint?: string) => UserError): BackupHooks {
  const example =
    'e.g. "hooks": {"pre": [{"container": "db", "command": ["sh", "-c", "pg_dump -U app app > /var/lib/postgresql/data/dump.sql"]}]}';
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw bad('"hooks" must be an object with "pre" and/or "post" lists.', example);
  const h = value as Record<string, unknown>;
  const unknown = Object.keys(h).filter((k) => k !== 'pre' && k !== 'post');
  if (unknown.length) throw bad(`"hooks" has unknown key(s) ${unknown.join(', ')}: only "pre" and "post".`, example);
  const list = (when: 'pre' | 'post'): BackupHook[] | undefined => {
    const v = h[when];
    if (v === undefined) return undefined;
    if (!Array.isArray(v)) throw bad(`"hooks.${when}" must be a list of {"container", "command"}.`, example);
    return v.map((hook: unknown, i): BackupHook => {
      const o = (typeof hook === 'object' && hook !== null ? hook : {}) as Record<string, unknown>;
      const extra = Object.keys(o).filter((k) => k !== 'container' && k !== 'command');
      if (extra.length) throw bad(`hooks.${when}[${i}] has unknown key(s) ${extra.join(', ')}.`, example);
      if (typeof o.container !== 'string' || !o.container)
        throw bad(`hooks.${when}[${i}] needs "container": the name of the container that runs the command.`, example);
      if (!Array.isArray(o.command) || !o.command.length || !o.command.every((a) => typeof a === 'string'))
        throw bad(`hooks.${when}[${i}] needs "command": a non-empty list of strings (no shell unless you name one).`, example);
      return { container: o.container, command: o.command };
    });
  };
  const pre = list('pre');
  const post = list('post');
  return { ...(pre ? { pre } : {}), ...(post ? { post } : {}) };
}

/** The repository forms restic 0.14 knows (`restic init --help`); anything else would be taken as a local path by restic. */
const REPOSITORY = /^(\/|sftp:|rest:https?:\/\/|s3:|rclone:|b2:|azure:|gs:|swift:)/;

function checkRepositoryUrl(value: unknown, bad: (what: string, hint?: string) => UserError): void {
  const problem = repositoryUrlProblem(value);
  if (problem)
    throw bad(
      `"repository" ${problem}`,
      'e.g. "repository": "sftp:backup@nas:/srv/restic"; its password goes in SecretStorage (Add Backup Repository…) or the secrets file.',
    );
}

/** Why `value` cannot be a job's repository (not one restic knows, or a URL holding a password), or undefined. */
export function repositoryUrlProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || !REPOSITORY.test(value))
    return `must be a restic repository: an absolute path, or sftp:, rest:http(s)://, s3:, rclone:… (got ${JSON.stringify(value)}).`;
  if (/^rest:https?:\/\/[^/@]*:[^/@]*@/.test(value))
    return "holds a password in its URL, and a job must not hold secrets: write it without; the REST server's user and password are secrets of the repository.";
  return undefined;
}
