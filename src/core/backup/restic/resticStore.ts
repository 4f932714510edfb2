import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { UserError } from '../../errors';
import { recreateOptions } from '../dockerHelper';
import { HashCounter } from '../hashing';
import { BackupEntry, BackupListing, Leftover, pathSegment, timestampOf, VolumeBackups } from '../layout';
import { BackupMode, checkManifest, Manifest, MANIFEST_FILE, MANIFEST_FORMAT, ManifestFile } from '../manifest';
import { checkRetain } from '../retention';
import { Progress } from '../progress';
import { ownerState, parseOwner, RunOwner } from '../runOwner';
import { BackupStore, BackupWriter, CommitInfo, StoredBackup } from '../store';
import { TOOL } from '../tool';
import { verifyStreams } from '../verify';
import { displayUrl, restic, resticJson, ResticRepository } from './resticCli';

/**
 * A restic repository as a backup store. Each file of a backup is one `restic backup --stdin`
 * snapshot (restic 0.14 takes one file per stdin snapshot), and the manifest is the last one: a
 * backup is good once its manifest snapshot exists, as a folder backup is once its folder is renamed.
 * Every snapshot carries our tags (restic splits a --tag value at commas: `,` and `%` are %-escaped):
 *   vdvs                      ours; retention and clean-up never touch a snapshot without it
 *   vdvs-host=<docker host>   vdvs-volume=<volume>   vdvs-mode=archive|snapshot
 *   vdvs-backup=<ts>.<run>    the files of one backup (a snapshot run covers several volumes)
 *   vdvs-kind=file|manifest   vdvs-owner=<run, base64url>: whether the writer still runs
 * The snapshot's host is the Docker host, so `restic snapshots --host H` reads as expected.
 */
export const TAG = 'vdvs';

interface Snapshot {
  id: string;
  short_id: string;
  time: string;
  paths: string[];
  tags?: string[];
}

interface BackupSummary {
  message_type: 'summary';
  snapshot_id: string;
}

type Tags = Record<'host' | 'volume' | 'mode' | 'backup' | 'kind' | 'owner', string>;

/** A tag value that restic keeps whole, and that reads as typed (`vol@ds`, not `vol%40ds`). */
function escapeTag(value: string): string {
  return value.replace(/%/g, '%25').replace(/,/g, '%2C');
}

function tagList(tags: Partial<Tags>): string[] {
  return [TAG, ...Object.entries(tags).map(([k, v]) => `${TAG}-${k}=${escapeTag(v)}`)];
}

function tagArgs(tags: Partial<Tags>): string[] {
  return tagList(tags).flatMap((t) => ['--tag', t]);
}

/** Filter: snapshots with all of these tags (one --tag with commas is an AND in restic). */
function tagFilter(tags: Partial<Tags>): string[] {
  return ['--tag', tagList(tags).join(',')];
}

function tagsOf(s: Snapshot): Partial<Tags> {
  const out: Partial<Tags> = {};
  for (const t of s.tags ?? []) {
    const m = /^vdvs-(host|volume|mode|backup|kind|owner)=(.*)$/.exec(t);
    if (m) out[m[1] as keyof Tags] = decodeURIComponent(m[2]);
  }
  return out;
}

const BACKUP_KEY = /^(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z)\.([0-9a-f]+)$/;

/**
 * Where a run keeps the volume locks of a repository: a local folder per repository (restic's own
 * locks are per repository, not per volume), the same for the extension and the CLI.
 */
export function defaultLockRoot(url: string): string {
  const state = process.env.XDG_STATE_HOME || join(homedir() || tmpdir(), '.local', 'state');
  return join(state, 'vdvs', 'restic-locks', createHash('sha256').update(url).digest('hex').slice(0, 16));
}

export class ResticStore implements BackupStore {
  readonly label: string;
  /** Manifests by snapshot id: snapshots never change, so each is read once. */
  private readonly manifests = new Map<string, Manifest>();
  /**
   * Our snapshots of a volume as this store listed them when its run took the volume (removing
   * leftovers), plus what it wrote and minus what it forgot since: retention reads these instead of
   * listing again. A backup another machine added meanwhile is then not counted: retention keeps one
   * more, never removes one it did not see.
   */
  private readonly seen = new Map<string, Snapshot[]>();

  constructor(
    readonly repo: ResticRepository,
    readonly lockRoot = defaultLockRoot(repo.url),
  ) {
    this.label = displayUrl(repo.url);
  }

  async begin(dockerHost: string, volume: string, mode: BackupMode, owner: RunOwner, startedAt: Date): Promise<BackupWriter> {
    pathSegment('Docker host', dockerHost);
    pathSegment('volume', volume);
    return new ResticWriter(this, {
      host: dockerHost,
      volume,
      mode,
      backup: `${timestampOf(startedAt)}.${owner.runId}`,
      owner: encodeOwner(owner),
    });
  }

  /** Snapshots of ours with these tags. */
  async snapshots(tags: Partial<Tags>, signal?: AbortSignal): Promise<Snapshot[]> {
    const [list] = await resticJson<Snapshot[]>(this.repo, ['snapshots', ...tagFilter(tags)], { signal });
    return list ?? [];
  }

  async list(dockerHost: string, volume: string): Promise<BackupListing> {
    return this.listing(await this.snapshots({ host: dockerHost, volume }), `${dockerHost}/${volume}`);
  }

  async listAll(): Promise<VolumeBackups[]> {
    const byVolume = new Map<string, Snapshot[]>();
    for (const s of await this.snapshots({})) {
      const t = tagsOf(s);
      if (!t.host || !t.volume) continue;
      const key = JSON.stringify([t.host, t.volume]);
      byVolume.set(key, [...(byVolume.get(key) ?? []), s]);
    }
    const all: VolumeBackups[] = [];
    for (const [key, snaps] of byVolume) {
      const [dockerHost, volume] = JSON.parse(key) as [string, string];
      all.push({ dockerHost, volume, ...(await this.listing(snaps, `${dockerHost}/${volume}`)) });
    }
    return all.sort((a, b) => (a.dockerHost + a.volume).localeCompare(b.dockerHost + b.volume));
  }

  async volumeNames(dockerHost: string): Promise<string[]> {
    const names = new Set((await this.snapshots({ host: dockerHost })).map((s) => tagsOf(s).volume).filter((v): v is string => !!v));
    return [...names].sort();
  }

  /** The snapshots of each backup key, and what each key is: good (manifest, every file), leftover (no manifest) or damaged. */
  private async listing(snaps: Snapshot[], what: string): Promise<BackupListing & { groups: Map<string, Snapshot[]> }> {
    const groups = groupByBackup(snaps);
    const listing: BackupListing & { groups: Map<string, Snapshot[]> } = { backups: [], leftovers: [], damaged: [], ignored: [], groups };
    for (const [key, group] of groups) {
      const dir = `${this.label}#${what}/${key}`;
      const manifestSnap = group.find((s) => tagsOf(s).kind === 'manifest');
      if (!manifestSnap) {
        listing.leftovers.push({ dir, reason: LEFTOVER_REASON });
        continue;
      }
      try {
        const manifest = await this.manifestOf(manifestSnap);
        const missing = manifest.files.filter((f) => !fileSnapshot(group, f));
        if (missing.length) throw new Error(`${missing.map((f) => f.name).join(', ')} missing from the repository`);
        listing.backups.push({ dir, timestamp: BACKUP_KEY.exec(key)![1], manifest });
      } catch (err) {
        listing.damaged.push({ dir, reason: `no valid ${MANIFEST_FILE}: ${err instanceof Error ? err.message : String(err)}` });
      }
    }
    listing.backups.sort((a, b) => (a.timestamp < b.timestamp ? 1 : a.timestamp > b.timestamp ? -1 : 0));
    return listing;
  }

  private async manifestOf(s: Snapshot, signal?: AbortSignal): Promise<Manifest> {
    const known = this.manifests.get(s.id);
    if (known) return known;
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    await restic(this.repo, ['dump', s.id, `/${MANIFEST_FILE}`], { stdout: out, signal });
    const manifest = checkManifest(JSON.parse(Buffer.concat(chunks).toString('utf8')), `${this.label} snapshot ${s.short_id}`);
    this.manifests.set(s.id, manifest);
    return manifest;
  }

  /**
   * Forgets the snapshots of the `retain`+1th and older backups of one mode, by snapshot id, only ids
   * selected by our tags. Read from the tags alone (a backup counts once its manifest snapshot
   * exists): one `restic snapshots`, not a dump per backup, so a run costs the same with 3 or 300 kept.
   */
  async prune(dockerHost: string, volume: string, mode: BackupMode, retain: number): Promise<string[]> {
    checkRetain(retain);
    const seen = this.seen.get(JSON.stringify([dockerHost, volume]));
    const groups = groupByBackup((seen ?? (await this.snapshots({ host: dockerHost, volume }))).filter((s) => tagsOf(s).mode === mode));
    const complete = [...groups.keys()].filter((k) => groups.get(k)!.some((s) => tagsOf(s).kind === 'manifest'));
    const removed = complete.sort().reverse().slice(retain);
    if (!removed.length) return [];
    const doomed = removed.flatMap((k) => groups.get(k)!);
    // manifests first: a forget cut short leaves files without a manifest (leftovers), never a backup that looks good but is not
    await this.forget(doomed.filter((s) => tagsOf(s).kind === 'manifest'));
    await this.forget(
      doomed.filter((s) => tagsOf(s).kind !== 'manifest'),
      true,
    );
    return removed.map((k) => `${this.label}#${dockerHost}/${volume}/${k}`);
  }

  /** Backups whose files have no manifest (tags alone, no dump) and whose run is gone: forgotten. */
  async removeStaleLeftovers(dockerHost: string, volume: string): Promise<Leftover[]> {
    const snaps = await this.snapshots({ host: dockerHost, volume });
    this.seen.set(JSON.stringify([dockerHost, volume]), snaps);
    const removed: Leftover[] = [];
    for (const [key, group] of groupByBackup(snaps)) {
      if (group.some((s) => tagsOf(s).kind === 'manifest')) continue;
      const owner = decodeOwner(group.map((s) => tagsOf(s).owner).find(Boolean));
      if (owner && ownerState(owner) === 'alive') continue;
      try {
        await this.forget(group);
      } catch (err) {
        // e.g. the restic of a killed run still storing what it was given: clean-up waits for a later run, the backup goes on
        if (err instanceof UserError && err.code === 'RESTIC_LOCKED') continue;
        throw err;
      }
      removed.push({ dir: `${this.label}#${dockerHost}/${volume}/${key}`, reason: LEFTOVER_REASON });
    }
    return removed;
  }

  /** A snapshot this store's writer made. */
  wrote(snap: Snapshot): void {
    const t = tagsOf(snap);
    this.seen.get(JSON.stringify([t.host, t.volume]))?.push(snap);
  }

  /** `restic forget ID…` (and `--prune` to free the space). */
  async forget(snaps: Snapshot[], prune = false): Promise<void> {
    for (const s of snaps) if (!(s.tags ?? []).includes(TAG)) throw new Error(`refusing to forget snapshot ${s.short_id}: not ours`);
    if (!snaps.length) return;
    await restic(this.repo, ['forget', ...(prune ? ['--prune'] : []), ...snaps.map((s) => s.id)]);
    const gone = new Set(snaps.map((s) => s.id));
    for (const [k, list] of this.seen)
      this.seen.set(
        k,
        list.filter((s) => !gone.has(s.id)),
      );
  }

  async open(dir: string): Promise<StoredBackup> {
    const m = /^(.*)#([^#]+)\/([^/#]+)\/([^/#]+)$/.exec(dir);
    if (!m || m[1] !== this.label || !BACKUP_KEY.test(m[4]))
      throw new UserError(
        `${dir} is not a backup in the restic repository ${this.label}.`,
        'Pick it from vdvs ls (or the Volumes view).',
        'NOT_FOUND',
      );
    const [dockerHost, volume, key] = [m[2], m[3], m[4]];
    const listing = await this.listing(await this.snapshots({ host: dockerHost, volume, backup: key }), `${dockerHost}/${volume}`);
    const entry = listing.backups[0];
    if (!entry) {
      const why = listing.damaged[0]?.reason ?? listing.leftovers[0]?.reason ?? 'no such backup';
      throw new UserError(
        `${dir} cannot be restored: ${why}.`,
        'Pick another backup (vdvs ls).',
        listing.groups.size ? 'BACKUP_DAMAGED' : 'NOT_FOUND',
      );
    }
    return new ResticBackup(this, dir, entry.manifest, listing.groups.get(key)!);
  }
}

const LEFTOVER_REASON = 'unfinished backup (interrupted or still running): files without a manifest';

/** Our snapshots by their backup key (`<timestamp>.<run>`). */
function groupByBackup(snaps: Snapshot[]): Map<string, Snapshot[]> {
  const groups = new Map<string, Snapshot[]>();
  for (const s of snaps) {
    const key = tagsOf(s).backup;
    if (key && BACKUP_KEY.test(key)) groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  return groups;
}

function fileSnapshot(group: Snapshot[], file: ManifestFile): Snapshot | undefined {
  return group.find((s) => tagsOf(s).kind === 'file' && s.paths.length === 1 && s.paths[0] === `/${file.name}`);
}

function encodeOwner(owner: RunOwner): string {
  return Buffer.from(JSON.stringify(owner)).toString('base64url');
}

function decodeOwner(tag: string | undefined): RunOwner | undefined {
  if (!tag) return undefined;
  try {
    return parseOwner(JSON.parse(Buffer.from(tag, 'base64url').toString('utf8')));
  } catch {
    return undefined;
  }
}

/** One backup being written: each file a stdin snapshot, then the manifest. */
class ResticWriter implements BackupWriter {
  readonly where: string;
  private readonly files: ManifestFile[] = [];
  private readonly written: Snapshot[] = [];
  private spool?: string;

  constructor(
    private readonly store: ResticStore,
    private readonly tags: Omit<Tags, 'kind'>,
  ) {
    this.where = `${store.label}#${tags.host}/${tags.volume}/${tags.backup}`;
  }

  async spoolDir(): Promise<string> {
    return (this.spool ??= await fs.mkdtemp(join(tmpdir(), 'vdvs-spool-')));
  }

  expect(): void {
    // restic reports a full repository in its own words
  }

  private async backup(name: string, kind: Tags['kind'], source: Readable, signal?: AbortSignal): Promise<BackupSummary> {
    const tags = { ...this.tags, kind };
    // --quiet: no status lines (restic prints them many times a second with --json); the summary stays
    const summaries = await resticJson<BackupSummary>(
      this.store.repo,
      ['backup', '--stdin', '--quiet', '--stdin-filename', name, '--host', this.tags.host, ...tagArgs(tags)],
      { stdin: source, signal },
    );
    const summary = summaries.find((s) => s.message_type === 'summary');
    if (!summary) throw new Error(`restic backup of ${name} gave no summary`);
    const snap: Snapshot = {
      id: summary.snapshot_id,
      short_id: summary.snapshot_id.slice(0, 8),
      time: new Date().toISOString(),
      paths: [`/${name}`],
      tags: tagList(tags),
    };
    this.written.push(snap);
    this.store.wrote(snap);
    return summary;
  }

  async addStream(
    name: string,
    role: ManifestFile['role'],
    source: NodeJS.ReadableStream | Readable,
    options: { signal?: AbortSignal; transforms?: Transform[] } = {},
  ): Promise<ManifestFile> {
    const counter = new HashCounter();
    const into = new PassThrough({ highWaterMark: 1 << 20 });
    const feeding = pipeline([source as Readable, ...(options.transforms ?? []), counter, into], { signal: options.signal });
    const [fed, stored] = await Promise.allSettled([feeding, this.backup(name, 'file', into, options.signal)]);
    if (fed.status === 'rejected') throw fed.reason;
    if (stored.status === 'rejected') throw stored.reason;
    const file: ManifestFile = { name, role, size: counter.size, sha256: counter.digest() };
    this.files.push(file);
    return file;
  }

  async commit(what: CommitInfo): Promise<BackupEntry> {
    const { name, driver, status } = what.volume;
    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      tool: TOOL,
      mode: what.source.kind,
      dockerHost: what.dockerHost,
      volume: { name, driver, options: recreateOptions(what.volume, what.pluginAlias), ...(status ? { status } : {}) },
      source: what.source,
      startedAt: what.startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      totalBytes: this.files.reduce((n, f) => n + f.size, 0),
      files: this.files,
    };
    // the commit point: from here the backup is listed as good
    await this.backup(MANIFEST_FILE, 'manifest', Readable.from([Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`)]));
    await this.removeSpool();
    return { dir: this.where, timestamp: BACKUP_KEY.exec(this.tags.backup)![1], manifest };
  }

  async discard(): Promise<void> {
    await this.removeSpool();
    // best effort: what a failed forget leaves is a leftover with a dead owner, removed by the next run
    await this.store.forget(this.written).catch(() => undefined);
  }

  private async removeSpool(): Promise<void> {
    if (this.spool) await fs.rm(this.spool, { recursive: true, force: true });
  }
}

/** A good backup in the repository, read with `restic dump`. */
class ResticBackup implements StoredBackup {
  constructor(
    private readonly store: ResticStore,
    readonly where: string,
    readonly manifest: Manifest,
    private readonly group: Snapshot[],
  ) {}

  async read(file: ManifestFile, signal?: AbortSignal): Promise<Readable> {
    const snap = fileSnapshot(this.group, file);
    if (!snap)
      throw new UserError(`${file.name} of ${this.where} is missing from the repository.`, 'Restore another backup.', 'BACKUP_DAMAGED');
    const out = new PassThrough({ highWaterMark: 1 << 20 });
    // restic's exit decides: a failure after some bytes destroys the stream instead of ending it short
    restic(this.store.repo, ['dump', snap.id, `/${file.name}`], { stdout: out, signal }).then(
      () => out.end(),
      (err: unknown) => out.destroy(err as Error),
    );
    return out;
  }

  async checkBeforeRestore(options: { signal?: AbortSignal } = {}) {
    await restic(this.store.repo, ['check'], { signal: options.signal });
    return { dir: this.where, ok: true, checked: 0, bytes: 0, problems: [] };
  }

  async verify(options: { signal?: AbortSignal; onProgress?: (p: Progress) => void } = {}) {
    await restic(this.store.repo, ['check'], { signal: options.signal });
    return verifyStreams(this.where, this.manifest, (f) => this.read(f, options.signal), options);
  }
}
