import type { CallOptions, DockerConnection } from '../docker/connection';
import { containersByVolume, DockerContainer, listContainers } from '../docker/containers';
import { daemonMessage, DockerError } from '../docker/dockerErrors';
import { isPluginDriver, pluginAliasOf } from '../docker/plugin';
import { createVolume, DockerVolume, inspectVolume, listVolumes, mapLimit, removeVolume } from '../docker/volumes';
import { UserError } from '../errors';
import { DockerVolumeEntry } from './correlate';
import { fullVolumeName, parseVolumeName } from './names';
import { VdvsOptions } from './options';
import { explainServerError, isDriverError } from './serverErrors';
import { ValidationContext, validateCreate } from './validate';

/**
 * The Docker side of vDVS volumes on one host, over issue 6's Engine API wrappers. Listing is
 * pipelined: `GET /volumes` and `GET /containers/json?all=1` together, then every
 * `GET /volumes/{name}` (which asks the plugin, hence ESXi, for Status) a few at a time over one
 * keep-alive connection, where the CLI inspects one after another. Bounded: vDVS runs one ESX
 * command at a time (EsxVmdkCmd.Run holds one mutex), so the plugin works through them in turn and
 * a `docker run` on the host waits behind those queued; enough to keep it busy while answers travel
 * back through a loaded host (bench/volumes-refresh at 1,000 volumes: 4 → 1.18 × the CLI, 16 → 0.89).
 */
export const INSPECT_CONCURRENCY = 16;

export interface HostInventory {
  entries: DockerVolumeEntry[];
  /** Volumes whose inspect failed: the rest are still shown. */
  failures: Array<{ name: string; message: string }>;
  /**
   * vsphere volumes that containers mount under a name the volume list does not have: a short name
   * (the list says `vol@ds`), or a volume the plugin no longer lists because its VMDK is gone.
   */
  unlisted: Array<{ name: string; containers: string[] }>;
}

export interface ListVsphereOptions extends CallOptions {
  concurrency?: number;
  /**
   * The Status of a volume when it is already known (vmdkops_admin.py volume ls over SSH): such a
   * volume is not inspected. A volume it does not know is inspected as before. Asked after the list,
   * so the list and the volume ls run at once.
   */
  knownStatus?: (name: string) => Record<string, unknown> | undefined | Promise<Record<string, unknown> | undefined>;
}

export async function listVsphereVolumes(conn: DockerConnection, options: ListVsphereOptions = {}): Promise<HostInventory> {
  const [all, containers] = await Promise.all([listVolumes(conn, options), listContainers(conn, options)]);
  const users = new Map([...containersByVolume(containers)].map(([volume, list]) => [volume, list.map((c) => c.name)]));
  const failures: HostInventory['failures'] = [];
  const alias = pluginAliasOf(conn);
  const isVsphereDriver = (driver: string | undefined) => isPluginDriver(driver, alias);
  const inspected = await mapLimit(
    all.filter((v) => isVsphereDriver(v.driver)),
    options.concurrency ?? INSPECT_CONCURRENCY,
    async (v): Promise<DockerVolume> => {
      const known = await options.knownStatus?.(v.name);
      if (known) return { ...v, status: known };
      try {
        return await inspectVolume(conn, v.name, options);
      } catch (err) {
        failures.push({ name: v.name, message: err instanceof Error ? err.message : String(err) });
        return v;
      }
    },
  );
  const entries = inspected.map((v) => ({
    hostId: conn.host.id,
    hostName: conn.host.name,
    name: v.name,
    status: v.status,
    containers: users.get(v.name) ?? [],
  }));
  const listed = new Set(entries.map((e) => e.name));
  const unlisted = [...users]
    .filter(([name]) => !listed.has(name) && containers.some((c) => c.mounts.some((m) => m.volume === name && isVsphereDriver(m.driver))))
    .map(([name, names]) => ({ name, containers: names }));
  return { entries, failures, unlisted };
}

/**
 * The containers that mount a volume under either name Docker may show for it: a container run
 * with `-v vol@ds:/d` mounts `vol@ds`, one run with `-v vol:/d` mounts `vol`, and both are the same
 * volume when `ds` is the datastore the short name resolves to (the Docker host VM's).
 */
export async function containersUsing(conn: DockerConnection, volume: string, options: CallOptions = {}): Promise<DockerContainer[]> {
  return listContainers(conn, { ...options, volume: await volumeNames(conn, volume, options) });
}

async function volumeNames(conn: DockerConnection, volume: string, options: CallOptions): Promise<string[]> {
  const { volume: short, datastore } = parseVolumeName(volume);
  const facts = await inspectVolume(conn, short, options).catch((err: unknown) => {
    if (err instanceof DockerError && err.code === 'NOT_FOUND') return undefined;
    throw err;
  });
  const resolved = facts?.status?.datastore;
  if (!facts || !isPluginDriver(facts.driver, pluginAliasOf(conn)) || typeof resolved !== 'string') return [volume];
  if (!datastore) return [volume, fullVolumeName(short, resolved)];
  return datastore === resolved ? [volume, short] : [volume];
}

/** A server (plugin/ESXi) error, verbatim, with vDVS's known cause when there is one. */
export class VdvsServerError extends UserError {
  constructor(
    readonly serverMessage: string,
    explanation: string | undefined,
    cause: unknown,
  ) {
    super(serverMessage, explanation, 'VDVS_SERVER', { cause });
    this.name = 'VdvsServerError';
  }
}

/** The daemon's text when the plugin refused: verbatim plus explanation; anything else unchanged. */
function serverError(err: unknown): unknown {
  const raw = daemonMessage(err);
  if (!raw || !isDriverError(raw)) return err;
  const explained = explainServerError(raw);
  return new VdvsServerError(explained.message, explained.explanation, err);
}

/**
 * Creates a vsphere volume. The vDVS rules run first, so a bad request never reaches the host;
 * the server's own refusal still comes back verbatim.
 */
export async function createVsphereVolume(
  conn: DockerConnection,
  name: string,
  options: VdvsOptions,
  ctx: ValidationContext = {},
  call: CallOptions = {},
): Promise<DockerVolume> {
  const invalid = validateCreate({ name, options }, ctx);
  if (invalid) throw new UserError(invalid, undefined, 'VDVS_INVALID');
  const driverOpts = Object.fromEntries(Object.entries(options).filter((e): e is [string, string] => e[1] !== undefined));
  try {
    // vDVS attaches the new disk and formats it during create: give it longer than a plain call
    return await createVolume(
      conn,
      { name, driver: pluginAliasOf(conn), options: driverOpts },
      { timeoutMs: Math.max(conn.timeoutMs, 120_000), ...call },
    );
  } catch (err) {
    throw serverError(err);
  }
}

/** Removes a vsphere volume; refused, naming them, while containers use it. */
export async function removeVsphereVolume(conn: DockerConnection, name: string, call: CallOptions = {}): Promise<void> {
  const users = await containersUsing(conn, name, call);
  if (users.length) {
    throw new UserError(
      `Volume ${name} is in use by ${users.length === 1 ? 'container' : 'containers'} ${users.map((c) => c.name).join(', ')}.`,
      'Remove those containers first (docker rm), then remove the volume.',
      'VOLUME_IN_USE',
    );
  }
  try {
    await removeVolume(conn, name, false, { timeoutMs: Math.max(conn.timeoutMs, 60_000), ...call });
  } catch (err) {
    throw serverError(err);
  }
}
