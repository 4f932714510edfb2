import { UserError } from '../errors';
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
  /** Folder that receives `<docker host>/<volume>/<timestamp>/`. */
  destination: string;
  /** How many good backups to keep per volume. */
  retain: number;
  compression?: Compression;
  /** Archive mode: stop the containers using a volume while it is read. */
  stopContainers?: boolean;
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
  'retain',
  'compression',
  'stopContainers',
  'esxiHost',
  'vm',
  'helperImage',
] as const;

/** Keys VS Code itself puts in a task definition. */
const TASK_KEYS = ['type', 'label', 'problemMatcher', 'group', 'presentation', 'detail', 'isBackground', 'runOptions', 'icon', 'hide', 'dependsOn', 'dependsOrder'];

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
  if (['password', 'passphrase', 'secret'].some((k) => k in j)) throw bad('secrets do not belong in a job.', 'Use a secrets file or environment variables.');
  if (typeof j.dockerHost !== 'string' || !j.dockerHost) throw bad('"dockerHost" is missing: name the Docker host to back up.');
  const volumes = j.volumes ?? 'all';
  if (volumes !== 'all' && !(Array.isArray(volumes) && volumes.length > 0 && volumes.every((v) => typeof v === 'string' && v))) {
    throw bad('"volumes" must be "all" or a non-empty list of volume names.');
  }
  const mode = j.mode ?? 'archive';
  if (mode !== 'archive' && mode !== 'snapshot') throw bad(`"mode" must be "archive" or "snapshot" (got ${JSON.stringify(mode)}).`);
  if (typeof j.destination !== 'string' || !j.destination) throw bad('"destination" is missing: the folder that receives the backups.');
  const retain = checkRetain(j.retain ?? DEFAULT_RETAIN);
  const compression = j.compression ?? 'none';
  if (compression !== 'none' && compression !== 'gzip') throw bad(`"compression" must be "none" or "gzip" (got ${JSON.stringify(compression)}).`);
  if (mode === 'snapshot' && compression !== 'none') throw bad('"compression" applies to archive mode only; snapshot backups keep the disk files as they are.');
  if (j.stopContainers !== undefined && typeof j.stopContainers !== 'boolean') throw bad('"stopContainers" must be true or false.');
  for (const k of ['esxiHost', 'vm', 'helperImage'] as const) if (j[k] !== undefined && (typeof j[k] !== 'string' || !j[k])) throw bad(`"${k}" must be a non-empty string.`);
  return {
    dockerHost: j.dockerHost,
    volumes: volumes as BackupJob['volumes'],
    mode,
    destination: j.destination,
    retain,
    compression,
    stopContainers: j.stopContainers === true,
    ...(j.esxiHost ? { esxiHost: j.esxiHost as string } : {}),
    ...(j.vm ? { vm: j.vm as string } : {}),
    ...(j.helperImage ? { helperImage: j.helperImage as string } : {}),
  };
}
