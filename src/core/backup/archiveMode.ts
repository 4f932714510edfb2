import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { DockerConnection } from '../docker/connection';
import { containerArchive } from '../docker/containers';
import { daemonMessage } from '../docker/dockerErrors';
import { pluginAliasOf } from '../docker/plugin';
import { UserError } from '../errors';
import { IdleWatchedStream } from '../idleStream';
import { MOUNT_POINT, requireVolume, StopJournal, volumeInventory, volumeUsage, withContainersStopped, withHelper } from './dockerHelper';
import { HashCounter } from './hashing';
import { BackupHooks, withHooks } from './hooks';
import { BackupEntry } from './layout';
import { ArchiveSource, Compression, ManifestFile } from './manifest';
import { createOutsideLinks, OutsideLinkFilter } from './outsideLinks';
import { fillSparseFiles, SparseStager, SparseWriter } from './sparseTar';
import { ProgressMeter } from './progress';
import { Reporter } from './reporter';
import { RunOwner } from './runOwner';
import { BackupStore, StoredBackup } from './store';
import { checkTarComplete, TarCounter } from './tarInventory';
import { loadTarStream } from './tarRepack';

export interface ArchiveBackupRequest {
  conn: DockerConnection;
  volume: string;
  /** The name the backups of this volume are kept under (default: its name). */
  folder?: string;
  store: BackupStore;
  helperImage: string;
  compression: Compression;
  stopContainers: boolean;
  /** The run, and where it records the containers it stops (the volume's lock). */
  owner: RunOwner;
  journal: StopJournal;
  stopTimeoutSeconds?: number;
  hooks?: BackupHooks;
  signal?: AbortSignal;
  reporter: Reporter;
}

export function archiveFileName(compression: Compression): string {
  return compression === 'gzip' ? 'volume.tar.gz' : 'volume.tar';
}

/**
 * File-level backup of one volume, for any driver: a helper container mounts the volume read-only
 * and the Docker daemon streams a tar of it, which goes through optional gzip and a hash into
 * `volume.tar[.gz]` of a partial backup folder, renamed when complete.
 */
export async function backupArchive(req: ArchiveBackupRequest): Promise<BackupEntry> {
  const { conn, volume, reporter, signal } = req;
  const facts = await requireVolume(conn, volume, { signal });
  const startedAt = new Date();
  const run = async (stoppedContainers: string[]) => {
    const partial = await req.store.begin(conn.host.name, req.folder ?? volume, 'archive', req.owner, startedAt);
    try {
      reporter.step(`Mounting ${volume} read-only in a helper container (${req.helperImage})`);
      return await withHelper(conn, req.helperImage, volume, true, { signal, owner: req.owner }, async (helper) => {
        const usage = await volumeUsage(conn, helper, { signal });
        // right before the tar: what goes missing from it while it is read is then found missing
        const { inventory, sparseFiles } = await volumeInventory(conn, helper, { signal });
        const name = archiveFileName(req.compression);
        reporter.step(`Writing ${name}${usage === undefined ? '' : ` (the volume holds about ${Math.ceil(usage / 1048576)} MiB)`}`);
        if (usage !== undefined) partial.expect(usage, 'its files, as du counts them');
        // `/data/.` gives entries `./a`, `./sub/b` like `tar -c -C /data .`, so restore puts them back at the root
        const tar = await containerArchive(conn, helper, `${MOUNT_POINT}/.`, { signal, what: `the files of volume ${volume}` });
        const meter = new ProgressMeter('Archive', (p) => reporter.progress(p), usage);
        const counter = new HashCounter(meter); // the uncompressed tar, for progress against `du`
        const tarStream = await loadTarStream();
        const inTar = new TarCounter(tarStream);
        // sparse files are stored without their holes (PAX sparse entries), spooled next to the archive
        const holes = sparseFiles.size ? [new SparseWriter(tarStream, sparseFiles, join(await partial.spoolDir(), '.sparse-spool'))] : [];
        await partial.addStream(name, 'archive', tar, {
          signal,
          transforms: [inTar, ...holes, counter, ...(req.compression === 'gzip' ? [createGzip()] : [])],
        });
        meter.finish();
        checkTarComplete(volume, inventory, inTar.counted);
        const source: ArchiveSource = {
          kind: 'archive',
          helperImage: req.helperImage,
          compression: req.compression,
          stoppedContainers,
          tarBytes: counter.size,
          ...(usage === undefined ? {} : { usedBytes: usage }),
          inventory: { volume: inventory, tar: inTar.counted },
        };
        return partial.commit({ dockerHost: conn.host.name, pluginAlias: pluginAliasOf(conn), volume: facts, source, startedAt });
      });
    } catch (err) {
      await partial.discard();
      throw err;
    }
  };
  return withHooks(conn, req.hooks, reporter, signal, () =>
    req.stopContainers
      ? withContainersStopped(conn, volume, reporter, { signal, stopTimeoutSeconds: req.stopTimeoutSeconds }, req.journal, run)
      : run([]),
  );
}

export interface ArchiveRestoreRequest {
  conn: DockerConnection;
  backup: StoredBackup;
  /** The volume to restore into (it exists: created or checked by the caller). */
  volume: string;
  helperImage: string;
  signal?: AbortSignal;
  reporter: Reporter;
}

/** Streams `volume.tar[.gz]` into the volume through a helper container (putArchive), hashing it on the way. */
export async function restoreArchive(req: ArchiveRestoreRequest): Promise<void> {
  const { conn, reporter, backup } = req;
  const source = backup.manifest.source as ArchiveSource;
  const archive = backup.manifest.files.find((f) => f.role === 'archive');
  if (!archive)
    throw new UserError(`The backup in ${backup.where} lists no archive file.`, 'The manifest is damaged: restore another backup.');
  await withHelper(conn, req.helperImage, req.volume, false, { signal: req.signal }, async (helper) => {
    reporter.step(`Extracting ${archive.name} into ${req.volume}`);
    const meter = new ProgressMeter('Restore', (p) => reporter.progress(p), archive.size);
    const counter = new HashCounter(meter);
    const tarStream = await loadTarStream();
    const links = new OutsideLinkFilter(tarStream);
    const sparse = new SparseStager(tarStream);
    await putArchive(
      conn,
      helper,
      req.volume,
      () => backup.read(archive, req.signal),
      [counter, ...(source.compression === 'gzip' ? [createGunzip()] : []), sparse, links],
      req.signal,
    );
    meter.finish();
    checkHash(archive, counter, req.volume);
    if (sparse.staged.length) reporter.step(`Writing the data of ${sparse.staged.length} sparse file(s) around their holes`);
    await fillSparseFiles(conn, helper, sparse.staged, { signal: req.signal });
    if (links.taken.length)
      reporter.step(`Creating ${links.taken.length} symlink(s) that point outside the volume (the upload refuses them)`);
    await createOutsideLinks(conn, helper, links.taken, { signal: req.signal });
  });
}

async function putArchive(
  conn: DockerConnection,
  helper: string,
  volume: string,
  open: () => Promise<NodeJS.ReadableStream>,
  transforms: NodeJS.ReadWriteStream[],
  outer?: AbortSignal,
): Promise<void> {
  const stop = new AbortController();
  const signal = outer ? AbortSignal.any([outer, stop.signal]) : stop.signal;
  let settled = false;
  // Waiting on the daemon: it holds back a chunk of ours, or has all of them and owes the answer.
  const idleSeconds = Math.round(conn.timeoutMs / 1000);
  let timedOut: UserError | undefined;
  const body = new IdleWatchedStream(
    conn.timeoutMs,
    (s) => !settled && (s.writableLength > 0 || s.writableEnded),
    () => {
      timedOut = new UserError(
        `${conn.label} took no data for ${idleSeconds} s while restoring into volume ${volume}.`,
        'The Docker daemon or the volume plugin may be stuck (check `docker info` and the plugin log), or raise vdvs.requestTimeoutSeconds.',
        'TIMEOUT',
      );
      stop.abort();
      return timedOut;
    },
  );
  const feeding = pipeline([await open(), ...transforms, body], { signal });
  // A daemon that refuses the tar stops reading it: end the feeding side too instead of waiting forever.
  const uploading = conn.docker
    .getContainer(helper)
    .putArchive(body, { path: MOUNT_POINT, abortSignal: signal })
    .catch((err: unknown) => {
      stop.abort();
      throw err;
    })
    .finally(() => (settled = true));
  const [fed, uploaded] = await Promise.allSettled([feeding, uploading]);
  if (timedOut) throw timedOut;
  if (uploaded.status === 'rejected') {
    // the daemon names paths in the helper (/data/x): say them as the user's volume (vol:/x)
    const said = (daemonMessage(uploaded.reason) ?? (uploaded.reason as Error).message).replaceAll(`${MOUNT_POINT}/`, `${volume}:/`);
    throw new UserError(`Writing into volume ${volume} failed on ${conn.label}: ${said}`, undefined, undefined, { cause: uploaded.reason });
  }
  if (fed.status === 'rejected') throw fed.reason;
}

function checkHash(file: ManifestFile, counter: HashCounter, volume: string): void {
  if (counter.digest() !== file.sha256 || counter.size !== file.size) {
    throw new UserError(
      `${file.name} changed since the backup (sha256 differs): ${volume} may now hold damaged data.`,
      'Run Verify on this backup, then restore another one.',
    );
  }
}
