import { CallOptions, DockerConnection } from './connection';
import { DockerError } from './dockerErrors';
import { pluginAliasOf, PluginStatus, requireEnabledPlugin } from './plugin';

/** A Docker volume as `docker volume inspect` shows it. */
export interface DockerVolume {
  name: string;
  /** `vsphere:latest` for vDVS volumes. */
  driver: string;
  mountpoint: string;
  scope: string;
  labels: Record<string, string>;
  /** The `-o` options it was created with (vDVS: size, diskformat, attach-as, …). */
  options: Record<string, string>;
  /**
   * The driver's status map; for vDVS: access, attach-as, attached to VM, capacity {allocated,size},
   * datastore, diskformat, fstype, status ("attached"/"detached"), … Only filled by inspect.
   */
  status?: Record<string, unknown>;
  createdAt?: string;
}

/** Raw volume object of the Engine API. */
interface ApiVolume {
  Name: string;
  Driver: string;
  Mountpoint?: string;
  Scope?: string;
  Labels?: Record<string, string> | null;
  Options?: Record<string, string> | null;
  Status?: Record<string, unknown> | null;
  CreatedAt?: string;
}

export interface ListVolumesOptions extends CallOptions {
  /** Only this driver's volumes (`vsphere:latest`); all drivers when absent. */
  driver?: string;
  /** Inspect each volume too, for its Status (one call per volume, 4 at a time). */
  withStatus?: boolean;
}

/** `docker volume ls [--filter driver=D]`, sorted by name. */
export async function listVolumes(conn: DockerConnection, options: ListVolumesOptions = {}): Promise<DockerVolume[]> {
  const query: Record<string, object> = options.driver ? { filters: { driver: [options.driver] } } : {};
  const answer = await conn.dial<{ Volumes: ApiVolume[] | null }>('Listing volumes', { method: 'GET', path: '/volumes', query }, options);
  const volumes = (answer.Volumes ?? []).map(toVolume).sort((a, b) => a.name.localeCompare(b.name));
  if (!options.withStatus) return volumes;
  return mapLimit(volumes, 4, async (v) => (await inspectVolume(conn, v.name, options).catch(() => undefined)) ?? v);
}

/**
 * The volumes of the vsphere plugin (by its alias), as `docker volume ls --filter driver=` lists them,
 * with their Status: names for a backup of "all"; the joined inventory of a host (containers, one
 * inspect each) is vdvs/inventory.ts listVsphereVolumes. Fails fast with PLUGIN_NOT_INSTALLED or
 * PLUGIN_DISABLED instead of letting Docker retry a missing driver for 15 s.
 */
export async function listPluginVolumes(
  conn: DockerConnection,
  options: CallOptions & { alias?: string } = {},
): Promise<{ plugin: Extract<PluginStatus, { installed: true }>; volumes: DockerVolume[] }> {
  const plugin = await requireEnabledPlugin(conn, options.alias ?? pluginAliasOf(conn), options);
  const volumes = await listVolumes(conn, { ...options, driver: plugin.name, withStatus: true });
  return { plugin, volumes };
}

/** `docker volume inspect NAME`; NOT_FOUND when there is none. */
export async function inspectVolume(conn: DockerConnection, name: string, options?: CallOptions): Promise<DockerVolume> {
  return toVolume(
    await conn.dial<ApiVolume>(`Inspecting volume ${name}`, { method: 'GET', path: `/volumes/${encodeURIComponent(name)}` }, options),
  );
}

export interface CreateVolumeRequest {
  name: string;
  /** `vsphere` / `vsphere:latest`; check the plugin is enabled first (requireEnabledPlugin). */
  driver: string;
  /** `-o key=value` options, passed through as given (validated by src/core/vdvs). */
  options?: Record<string, string>;
  labels?: Record<string, string>;
}

/** `docker volume create --driver D --name N -o k=v…`. vDVS creates and formats a VMDK: give it a longer timeout. */
export async function createVolume(conn: DockerConnection, request: CreateVolumeRequest, options?: CallOptions): Promise<DockerVolume> {
  return toVolume(
    await conn.dial<ApiVolume>(
      `Creating volume ${request.name}`,
      {
        method: 'POST',
        path: '/volumes/create',
        body: { Name: request.name, Driver: request.driver, DriverOpts: request.options ?? {}, Labels: request.labels ?? {} },
      },
      options,
    ),
  );
}

/** `docker volume rm [-f] NAME`; the daemon refuses (409) while a container uses it. */
export async function removeVolume(conn: DockerConnection, name: string, force = false, options?: CallOptions): Promise<void> {
  try {
    await conn.dial(
      `Removing volume ${name}`,
      { method: 'DELETE', path: `/volumes/${encodeURIComponent(name)}`, query: force ? { force: true } : {} },
      options,
    );
  } catch (err) {
    if (err instanceof DockerError && /in use/i.test(err.message)) {
      throw new DockerError(
        `Volume ${name} is in use by a container on ${conn.label}.`,
        'Stop and remove the containers using it first.',
        'VOLUME_IN_USE',
        { cause: err },
      );
    }
    throw err;
  }
}

function toVolume(v: ApiVolume): DockerVolume {
  return {
    name: v.Name,
    driver: v.Driver,
    mountpoint: v.Mountpoint ?? '',
    scope: v.Scope ?? 'local',
    labels: v.Labels ?? {},
    options: v.Options ?? {},
    ...(v.Status ? { status: v.Status } : {}),
    ...(v.CreatedAt ? { createdAt: v.CreatedAt } : {}),
  };
}

/** Maps with at most `limit` calls in flight, keeping order. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
