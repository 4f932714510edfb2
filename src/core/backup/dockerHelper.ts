import { CallOptions, DockerConnection } from '../docker/connection';
import { DockerContainer, listContainers, removeContainer, runWithVolume, startContainer, stopContainer } from '../docker/containers';
import { DockerError } from '../docker/dockerErrors';
import { DEFAULT_PLUGIN_ALIAS, isPluginDriver } from '../docker/plugin';
import { DockerVolume, inspectVolume } from '../docker/volumes';
import { errorMessage, UserError } from '../errors';
import { containersUsing } from '../vdvs/inventory';
import { volumeFacts } from '../vdvs/status';
import { Inventory, ManifestVolume } from './manifest';
import { Reporter } from './reporter';
import { describeOwner, ownerState, parseOwner, processRun, RunOwner } from './runOwner';
import { StoppedContainer } from './volumeLock';

/** Where the helper containers mount the volume. */
export const MOUNT_POINT = '/data';
/**
 * Labels on helper containers: the volume, and the run that started it (a RunOwner as JSON), so one left by a crash can be recognised and
 * removed.
 */
export const HELPER_LABEL = 'vdvs.backup.helper';
export const HELPER_RUN_LABEL = 'vdvs.backup.run';
const HELPER_OWNER_LABEL = 'vdvs.backup.owner';
/** Waits until the helper is removed (works with busybox and coreutils); `sleep 1d` capped a backup at a day. */
const HELPER_COMMAND = ['tail', '-f', '/dev/null'];

/**
 * The `-o` options that recreate a volume like this one. Docker keeps the options only under the
 * name a volume was created with (`vol`, not the `vol@ds` the plugin lists), so for a volume of the
 * vDVS plugin (installed as `pluginAlias`) without them they are read back from its vDVS status (size,
 * diskformat, attach-as, access, fstype).
 */
export function recreateOptions(volume: ManifestVolume, pluginAlias = DEFAULT_PLUGIN_ALIAS): Record<string, string> {
  if (Object.keys(volume.options).length || !isPluginDriver(volume.driver, pluginAlias) || !volume.status) return volume.options;
  const facts = volumeFacts(volume.status);
  const options: Record<string, string> = { diskformat: facts.diskformat, 'attach-as': facts.attachAs, access: facts.access };
  if (facts.size && /^\d+(mb|gb|tb)$/i.test(facts.size)) options.size = facts.size.toLowerCase();
  if (facts.fstype) options.fstype = facts.fstype;
  return options;
}

/** The volume, or undefined when the host has none by that name. */
export async function findVolume(conn: DockerConnection, volume: string, options?: CallOptions): Promise<DockerVolume | undefined> {
  try {
    return await inspectVolume(conn, volume, options);
  } catch (err) {
    if (err instanceof DockerError && err.code === 'NOT_FOUND') return undefined;
    throw err;
  }
}

export async function requireVolume(conn: DockerConnection, volume: string, options?: CallOptions): Promise<DockerVolume> {
  const found = await findVolume(conn, volume, options);
  if (!found)
    throw new UserError(
      `Volume ${volume} does not exist on ${conn.label}.`,
      'Check the name with `docker volume ls` (vDVS volumes may need @datastore).',
      'NOT_FOUND',
    );
  return found;
}

/**
 * Runs `work` with a helper container that mounts `volume` at /data (read-only for backups), never
 * networked, and removes it afterwards whatever happens. Labelled with its run (`owner`, default:
 * this process) so that a run after a crash removes it.
 */
export async function withHelper<T>(
  conn: DockerConnection,
  image: string,
  volume: string,
  readOnly: boolean,
  options: CallOptions & { owner?: RunOwner },
  work: (id: string) => Promise<T>,
): Promise<T> {
  const owner = options.owner ?? processRun();
  const labels = { [HELPER_LABEL]: volume, [HELPER_RUN_LABEL]: owner.runId, [HELPER_OWNER_LABEL]: JSON.stringify(owner) };
  const helper = await runWithVolume(conn, { volume, image, target: MOUNT_POINT, readOnly, labels, command: HELPER_COMMAND }, options);
  try {
    return await work(helper.id);
  } finally {
    await removeContainer(conn, helper.id, true).catch(() => undefined);
  }
}

/** Runs a command in the helper and returns its output (a TTY exec: no stream multiplexing). */
export async function execInHelper(conn: DockerConnection, id: string, cmd: string[], options: CallOptions): Promise<string> {
  const { exitCode, output } = await execInContainer(conn, id, cmd, options);
  if (exitCode !== 0) throw new UserError(`${cmd.join(' ')} failed in the helper container (exit ${exitCode}): ${output.trim()}`);
  return output;
}

/** Runs a command in a running container (id or name) through the Engine API: its exit code and output (stdout and stderr, a TTY exec). */
export async function execInContainer(
  conn: DockerConnection,
  container: string,
  cmd: string[],
  options: CallOptions,
): Promise<{ exitCode: number; output: string }> {
  return conn.call(
    `Running ${cmd[0]} in container ${container}`,
    async (signal) => {
      const exec = await conn.docker
        .getContainer(container)
        .exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, Tty: true, abortSignal: signal });
      const stream = await exec.start({ hijack: true, stdin: false, Tty: true, abortSignal: signal });
      const chunks: Buffer[] = [];
      for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
      // dockerode's types give inspect() with options no promise overload; it returns one
      const { ExitCode } = await (exec.inspect({ abortSignal: signal } as never) as unknown as Promise<{ ExitCode: number }>);
      return { exitCode: ExitCode, output: Buffer.concat(chunks).toString('utf8') };
    },
    options,
  );
}

/** Bytes used by the files of the mounted volume (`du -sk`), for progress and ETA; undefined if unknown. */
export async function volumeUsage(conn: DockerConnection, id: string, options: CallOptions): Promise<number | undefined> {
  const out = await execInHelper(conn, id, ['du', '-sk', MOUNT_POINT], options).catch(() => '');
  const kib = Number(/^(\d+)/.exec(out.trim())?.[1]);
  return Number.isFinite(kib) && out ? kib * 1024 : undefined;
}

/** A regular file counts as sparse when this much of it is not allocated. */
const SPARSE_MIN_HOLES = 1 << 20;

/**
 * What the mounted volume holds, counted as its tar should: entries below the root (sockets left
 * out, a tar cannot hold them) and the bytes of regular files, each inode once (Docker sends further
 * hard links as links); and the regular files with SPARSE_MIN_HOLES or more not allocated, as tar
 * names them (`./sub/f`). One pass of busybox find, stat and awk, as alpine has them.
 */
export async function volumeInventory(
  conn: DockerConnection,
  id: string,
  options: CallOptions,
): Promise<{ inventory: Inventory; sparseFiles: Set<string> }> {
  const awk = `{ n++ } $1 ~ /^regular/ { if ($3 < 2 || !seen[$2]++) b += $4; if ($5 * $6 + ${SPARSE_MIN_HOLES} <= $4) { f = $0; sub(/^([^|]*[|]){6}/, "", f); print "sparse " f } } END { printf "%.0f %.0f\\n", n, b }`;
  const script = `cd ${MOUNT_POINT} && find . -mindepth 1 ! -type s -exec stat -c '%F|%i|%h|%s|%b|%B|%n' {} + | awk -F'|' '${awk}'`;
  const lines = (await execInHelper(conn, id, ['sh', '-c', script], options)).split(/\r?\n/).filter(Boolean);
  const [entries, fileBytes] = (lines.pop() ?? '').trim().split(/\s+/).map(Number);
  if (!Number.isSafeInteger(entries) || !Number.isSafeInteger(fileBytes))
    throw new UserError(
      `Counting the files of the volume in the helper container failed (it printed ${JSON.stringify(lines.join(' ').slice(0, 200))}).`,
      'The helper image needs busybox (or GNU) find, stat and awk, as alpine has.',
    );
  return { inventory: { entries, fileBytes }, sparseFiles: new Set(lines.filter((l) => l.startsWith('sparse ')).map((l) => l.slice(7))) };
}

/** Whether the mounted volume holds anything (lost+found of a fresh ext4 does not count). */
export async function volumeIsEmpty(conn: DockerConnection, id: string, options: CallOptions): Promise<boolean> {
  const out = await execInHelper(conn, id, ['find', MOUNT_POINT, '-mindepth', '1', '-maxdepth', '1', '!', '-name', 'lost+found'], options);
  return out.trim() === '';
}

/** How long `docker stop` waits for a container to exit before it kills it (a job's `stopTimeoutSeconds`). */
export const DEFAULT_STOP_TIMEOUT_SECONDS = 30;

export interface StopOptions extends CallOptions {
  stopTimeoutSeconds?: number;
}

/** Where a run records the containers it stops before stopping them, so a run after a crash can start them again. */
export interface StopJournal {
  recordStopped(containers: StoppedContainer[]): Promise<void>;
}

/**
 * Stops the running containers that use `volume` (under either of its names), runs `work`, and
 * starts them again whatever happens. They are recorded in `journal` before the first is stopped.
 * A container that does not start again makes the whole call fail, after the others.
 */
export async function withContainersStopped<T>(
  conn: DockerConnection,
  volume: string,
  reporter: Reporter,
  options: StopOptions,
  journal: StopJournal,
  work: (stopped: string[]) => Promise<T>,
): Promise<T> {
  const running = (await containersUsing(conn, volume, options)).filter((c) => c.state === 'running' && !(HELPER_LABEL in c.labels));
  const stopped: typeof running = [];
  let result: T | undefined;
  // boxed: whatever was thrown is thrown again, even a falsy value
  let failure: { error: unknown } | undefined;
  try {
    if (running.length) await journal.recordStopped(running.map(({ id, name }) => ({ id, name })));
    for (const c of running) {
      reporter.step(`Stopping container ${c.name} (uses ${volume})`);
      await stopContainer(conn, c.id, options.stopTimeoutSeconds ?? DEFAULT_STOP_TIMEOUT_SECONDS, options);
      stopped.push(c);
    }
    result = await work(running.map((c) => c.name));
  } catch (err) {
    failure = { error: err };
  }
  const notRestarted: typeof running = [];
  for (const c of stopped.reverse()) {
    reporter.step(`Starting container ${c.name} again`);
    // not the caller's signal: a cancelled backup must still give the containers back
    await startContainer(conn, c.id).catch((err: unknown) => {
      notRestarted.push(c);
      reporter.warn(`Container ${c.name} did not start again: ${(err as Error).message}`);
    });
  }
  if (stopped.length)
    await journal
      .recordStopped(notRestarted.map(({ id, name }) => ({ id, name })))
      .catch((err: unknown) => reporter.warn(errorMessage(err)));
  if (failure) throw failure.error;
  if (notRestarted.length)
    throw new UserError(
      `The backup finished but ${notRestarted.map((c) => c.name).join(', ')} did not start again.`,
      'Start them with docker start and check their logs.',
    );
  return result as T;
}

/**
 * Starts again the containers that a run which did not finish had stopped (`by` is that run; the
 * containers come from its lock), and says so. One that no longer exists or does not start is
 * reported; those that do not start are returned, to stay recorded.
 */
export async function restartStoppedBy(
  conn: DockerConnection,
  by: RunOwner,
  containers: StoppedContainer[],
  reporter: Reporter,
  options: CallOptions,
): Promise<StoppedContainer[]> {
  if (!containers.length) return [];
  const now = new Map((await listContainers(conn, options)).map((c) => [c.id, c]));
  const failed: StoppedContainer[] = [];
  for (const c of containers) {
    const state = now.get(c.id)?.state;
    if (!state) {
      reporter.warn(`Container ${c.name}, stopped by ${describeOwner(by)} which did not finish, no longer exists.`);
    } else if (state !== 'running') {
      await startContainer(conn, c.id, options).then(
        () => reporter.step(`Started container ${c.name} again (stopped by ${describeOwner(by)}, which did not finish)`),
        (err: unknown) => {
          failed.push(c);
          reporter.warn(`Container ${c.name}, stopped by ${describeOwner(by)} which did not finish, does not start: ${errorMessage(err)}`);
        },
      );
    }
  }
  return failed;
}

/**
 * Removes the helper containers whose run provably ended without removing them (killed, crashed); helpers of live runs or of other machines
 * stay.
 */
export async function removeDeadHelpers(conn: DockerConnection, reporter: Reporter, options: CallOptions): Promise<void> {
  for (const c of await listContainers(conn, options)) {
    const owner = helperOwner(c);
    if (!owner || ownerState(owner) !== 'dead') continue;
    await removeContainer(conn, c.id, true, options);
    reporter.step(`Removed helper container ${c.name} of ${describeOwner(owner)}, which did not finish`);
  }
}

/** The run that started a helper container (its owner label); undefined for any other container. */
export function helperOwner(c: DockerContainer): RunOwner | undefined {
  if (!(HELPER_LABEL in c.labels)) return undefined;
  return parseOwner(parseJson(c.labels[HELPER_OWNER_LABEL]));
}

function parseJson(text: string | undefined): unknown {
  try {
    return text === undefined ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}
