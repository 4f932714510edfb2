import type { Readable } from 'node:stream';
import type Dockerode from 'dockerode';
import { CallOptions, DockerConnection } from './connection';
import { daemonMessage, DockerError, statusCode } from './dockerErrors';
import { ProgressMessage, progressError, readJsonLines } from './jsonStream';

export const DEFAULT_PLUGIN_REFERENCE = 'vmware/vsphere-storage-for-docker:latest';
/** The alias the vDVS docs install the plugin under; Docker stores it as `vsphere:latest`. */
export const DEFAULT_PLUGIN_ALIAS = 'vsphere';

/** The alias of the vDVS plugin on the connection's host: what its vsphere volumes are created, listed and backed up with. */
export function pluginAliasOf(conn: DockerConnection): string {
  return conn.pluginAlias?.trim() || DEFAULT_PLUGIN_ALIAS;
}

/** Whether a volume's driver is the vDVS plugin under `alias`: `vsphere`, or the managed plugin's `vsphere:latest` (any tag). */
export function isPluginDriver(driver: string | undefined, alias: string): boolean {
  const base = alias.replace(/:[^/:]*$/, '');
  return driver === base || !!driver?.startsWith(`${base}:`);
}

/** A privilege a plugin asks for (GET /plugins/privileges), shown to the user before install. */
export interface PluginPrivilege {
  Name: string;
  Description: string;
  Value: string[];
}

export type PluginStatus =
  | { installed: false }
  | {
      installed: true;
      /** `vsphere:latest`: also the volume driver name that filters need. */
      name: string;
      id: string;
      enabled: boolean;
      /** The image it came from, e.g. `vmware/vsphere-storage-for-docker:latest`. */
      reference: string;
      /** VDVS_VERSION of the plugin image's config, else the reference's tag. */
      version: string;
      /** Its settings env, `KEY=value`. */
      env: string[];
    };

/** Progress of a pull or upgrade, for withProgress. */
export interface PluginProgress {
  message: string;
  /** Bytes done/total of the current layer when the daemon says. */
  current?: number;
  total?: number;
}

export interface PluginCallOptions extends CallOptions {
  onProgress?: (p: PluginProgress) => void;
}

/** `vsphere` → `vsphere:latest`, as the daemon names plugins. */
export function pluginName(alias: string): string {
  const lastSlash = alias.lastIndexOf('/');
  return alias.slice(lastSlash + 1).includes(':') ? alias : `${alias}:latest`;
}

/**
 * Finds the vDVS plugin among the installed ones: by alias first, else any plugin whose reference is
 * vsphere-storage-for-docker (or the configured reference), so a plugin installed under another alias
 * still shows.
 */
export function findVspherePlugin(
  plugins: Dockerode.PluginInfo[],
  alias = DEFAULT_PLUGIN_ALIAS,
  reference?: string,
): Dockerode.PluginInfo | undefined {
  const name = pluginName(alias);
  const base = (ref: string) => ref.replace(/:[^/:]*$/, '');
  return (
    plugins.find((p) => p.Name === name) ??
    plugins.find(
      (p) =>
        !!p.PluginReference &&
        ((reference && base(p.PluginReference) === base(reference)) ||
          /vsphere-storage-for-docker|docker-volume-vsphere/.test(p.PluginReference)),
    )
  );
}

export function toPluginStatus(p: Dockerode.PluginInfo | undefined): PluginStatus {
  if (!p) return { installed: false };
  const env = p.Settings?.Env ?? [];
  const reference = p.PluginReference ?? p.Name;
  // The image's own default, not Settings.Env: Docker keeps the old settings across an upgrade.
  const fromEnv = (p.Config?.Env as { Name?: string; Value?: string }[] | undefined)?.find((e) => e.Name === 'VDVS_VERSION')?.Value;
  const tag = /:([^/:]+)$/.exec(reference)?.[1] ?? 'latest';
  return { installed: true, name: p.Name, id: p.Id ?? '', enabled: p.Enabled, reference, version: fromEnv || tag, env };
}

/** Whether and how the vsphere plugin is installed on this host. */
export async function pluginStatus(
  conn: DockerConnection,
  alias = DEFAULT_PLUGIN_ALIAS,
  reference?: string,
  options?: CallOptions,
): Promise<PluginStatus> {
  const plugins = await conn.call('Listing plugins', (abortSignal) => conn.docker.listPlugins({ abortSignal }), options);
  return toPluginStatus(findVspherePlugin(plugins, alias, reference));
}

/** The plugin status, or a PLUGIN_NOT_INSTALLED / PLUGIN_DISABLED error: the guard of every volume operation. */
export async function requireEnabledPlugin(
  conn: DockerConnection,
  alias = DEFAULT_PLUGIN_ALIAS,
  options?: CallOptions,
): Promise<Extract<PluginStatus, { installed: true }>> {
  const status = await pluginStatus(conn, alias, undefined, options);
  if (!status.installed) {
    throw new DockerError(
      `The vsphere plugin is not installed on ${conn.label}.`,
      'Install it first (vDVS: Install vSphere Plugin).',
      'PLUGIN_NOT_INSTALLED',
    );
  }
  if (!status.enabled) {
    throw new DockerError(
      `The vsphere plugin (${status.name}) is disabled on ${conn.label}.`,
      'Enable it first (vDVS: Enable vSphere Plugin); Docker would otherwise retry the driver for 15 s and fail.',
      'PLUGIN_DISABLED',
    );
  }
  return status;
}

/** What the plugin at `reference` asks for; the user must accept these before install or upgrade. */
export async function pluginPrivileges(conn: DockerConnection, reference: string, options?: CallOptions): Promise<PluginPrivilege[]> {
  try {
    return await conn.dial<PluginPrivilege[]>(
      'Reading the plugin privileges',
      { method: 'GET', path: '/plugins/privileges', query: { remote: reference } },
      options,
    );
  } catch (err) {
    throw imageNotFound(err, reference) ?? err;
  }
}

/** The error for privileges the user did not accept. */
export function privilegesRefused(reference: string): DockerError {
  return new DockerError(
    `The plugin ${reference} was not installed: its privileges were not accepted.`,
    'vDVS needs them to attach disks to the Docker VM; install it again and accept them to use vSphere volumes.',
    'PRIVILEGES_REFUSED',
  );
}

export interface InstallOptions extends PluginCallOptions {
  reference: string;
  alias?: string;
  /** The privileges the user accepted; the install is refused if the plugin now asks for others. */
  acceptedPrivileges: PluginPrivilege[];
  /** `KEY=value` settings applied before enabling (e.g. VDVS_LOG_LEVEL=debug). */
  env?: string[];
  /** Enable after install (default true). */
  enable?: boolean;
}

/**
 * `docker plugin install --alias vsphere REFERENCE KEY=value…`: pull with the accepted privileges
 * (an error inside the pull stream is a failure), set env, enable.
 */
export async function installPlugin(conn: DockerConnection, options: InstallOptions): Promise<PluginStatus> {
  const name = pluginName(options.alias ?? DEFAULT_PLUGIN_ALIAS);
  const env = validatePluginEnv(options.env ?? []);
  await checkPrivileges(conn, options.reference, options.acceptedPrivileges, options);
  const existing = await pluginStatus(conn, options.alias, undefined, options);
  if (existing.installed && existing.name === name) {
    throw new DockerError(
      `A plugin named ${name} is installed already on ${conn.label} (${existing.reference}).`,
      'Use Upgrade vSphere Plugin to change its version: removing and reinstalling it loses its volumes (vDVS #1972, #2061).',
      'PLUGIN_EXISTS',
    );
  }
  await followPluginStream(
    conn,
    'Installing the plugin',
    options.reference,
    { method: 'POST', path: '/plugins/pull', query: { remote: options.reference, name }, body: options.acceptedPrivileges, stream: true },
    options,
  );
  if (env.length) await setPluginEnv(conn, name, env, options);
  if (options.enable ?? true) await enablePlugin(conn, name, options);
  return inspectPlugin(conn, name, options);
}

/** `docker plugin enable NAME`. */
export async function enablePlugin(conn: DockerConnection, name: string, options?: CallOptions): Promise<void> {
  // The daemon's timeout (s) to wait for the plugin to start; dockerode needs it set explicitly.
  const seconds = Math.max(1, Math.round((options?.timeoutMs ?? conn.timeoutMs) / 1000));
  await conn.dial('Enabling the plugin', { method: 'POST', path: `/plugins/${name}/enable`, query: { timeout: seconds } }, options);
}

/** `docker plugin disable [-f] NAME`; without force the daemon refuses while volumes are in use. */
export async function disablePlugin(conn: DockerConnection, name: string, force: boolean, options?: CallOptions): Promise<void> {
  // dockerode drops `force`, so the query is dialled directly.
  await conn.dial('Disabling the plugin', { method: 'POST', path: `/plugins/${name}/disable`, query: force ? { force: 1 } : {} }, options);
}

/** `docker plugin set NAME KEY=value…` (the plugin must be disabled). */
export async function setPluginEnv(conn: DockerConnection, name: string, env: string[], options?: CallOptions): Promise<void> {
  await conn.dial('Setting the plugin env', { method: 'POST', path: `/plugins/${name}/set`, body: validatePluginEnv(env) }, options);
}

export interface UpgradeOptions extends PluginCallOptions {
  reference: string;
  acceptedPrivileges: PluginPrivilege[];
}

/**
 * The vDVS upgrade: `docker plugin disable -f`, `docker plugin upgrade --grant-all-permissions NAME
 * REFERENCE`, `docker plugin enable`. Never remove + install, which makes Docker forget the volumes
 * (vDVS #1972, #2061). If the upgrade fails the plugin is enabled again as it was.
 */
export async function upgradePlugin(conn: DockerConnection, name: string, options: UpgradeOptions): Promise<PluginStatus> {
  await checkPrivileges(conn, options.reference, options.acceptedPrivileges, options);
  const before = await inspectPlugin(conn, name, options);
  const wasEnabled = before.installed && before.enabled;
  if (wasEnabled) await disablePlugin(conn, name, true, options);
  try {
    await followPluginStream(
      conn,
      'Upgrading the plugin',
      options.reference,
      {
        method: 'POST',
        path: `/plugins/${name}/upgrade`,
        query: { remote: options.reference },
        body: options.acceptedPrivileges,
        stream: true,
      },
      options,
    );
  } catch (err) {
    if (wasEnabled) await enablePlugin(conn, name, options).catch(() => undefined);
    throw err;
  }
  await enablePlugin(conn, name, options);
  return inspectPlugin(conn, name, options);
}

/**
 * `docker plugin rm NAME`, refused while Docker lists volumes of the plugin: it would forget them and a
 * reinstall does not bring them back (vDVS #1972, #2061). Disables first (not forced), so a plugin in
 * use fails with PLUGIN_IN_USE.
 */
export async function removePlugin(conn: DockerConnection, name: string, options?: CallOptions): Promise<void> {
  const status = await inspectPlugin(conn, name, options);
  if (!status.installed)
    throw new DockerError(`There is no plugin ${name} on ${conn.label}.`, 'Refresh the Docker Hosts view.', 'PLUGIN_NOT_INSTALLED');
  const volumes = await conn.dial<{ Volumes: { Name: string }[] | null }>(
    'Listing the plugin volumes',
    { method: 'GET', path: '/volumes', query: { filters: { driver: [name] } } },
    options,
  );
  const names = (volumes.Volumes ?? []).map((v) => v.Name);
  if (names.length) {
    throw new DockerError(
      `The plugin ${name} still has ${names.length} volume${names.length === 1 ? '' : 's'} on ${conn.label} (${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''}); it was not removed.`,
      'Removing it makes Docker forget these volumes (their VMDKs stay on the datastore) and reinstalling does not bring them back (vDVS #1972, #2061). Use Upgrade to change the version, or remove the volumes first.',
      'PLUGIN_HAS_VOLUMES',
    );
  }
  if (status.enabled) await disablePlugin(conn, name, false, options);
  await conn.dial('Removing the plugin', { method: 'DELETE', path: `/plugins/${name}` }, options);
}

/** The status of the plugin called `name` (not installed when the daemon does not know it). */
export async function inspectPlugin(conn: DockerConnection, name: string, options?: CallOptions): Promise<PluginStatus> {
  try {
    return toPluginStatus(
      await conn.dial<Dockerode.PluginInfo>('Inspecting the plugin', { method: 'GET', path: `/plugins/${name}/json` }, options),
    );
  } catch (err) {
    if (err instanceof DockerError && err.code === 'NOT_FOUND') return { installed: false };
    throw err;
  }
}

/** Checks `KEY=value` syntax; the daemon itself rejects keys the plugin does not declare settable. */
export function validatePluginEnv(env: string[]): string[] {
  const bad = env.filter((e) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(e));
  if (bad.length) {
    throw new DockerError(
      `Plugin settings must look like KEY=value; these do not: ${bad.map((b) => JSON.stringify(b)).join(', ')}.`,
      'Fix the vdvs.plugin.env setting (e.g. "VDVS_LOG_LEVEL=debug").',
      'DOCKER_API',
    );
  }
  return env;
}

/** Refuses to go on when the plugin asks for other privileges than the ones the user saw. */
async function checkPrivileges(
  conn: DockerConnection,
  reference: string,
  accepted: PluginPrivilege[],
  options?: CallOptions,
): Promise<void> {
  const asked = await pluginPrivileges(conn, reference, options);
  const key = (ps: PluginPrivilege[]) => JSON.stringify(ps.map((p) => [p.Name, [...(p.Value ?? [])].sort()]).sort());
  if (key(asked) !== key(accepted)) {
    throw new DockerError(
      `The plugin ${reference} asks for other privileges than the ones accepted.`,
      'Run the install again and review the privileges it shows.',
      'PRIVILEGES_REFUSED',
    );
  }
}

async function followPluginStream(
  conn: DockerConnection,
  what: string,
  reference: string,
  req: Parameters<DockerConnection['dial']>[1],
  options: PluginCallOptions,
): Promise<void> {
  let stream: Readable;
  try {
    stream = await conn.dial<Readable>(what, req, options);
  } catch (err) {
    throw imageNotFound(err, reference) ?? err;
  }
  await readJsonLines<ProgressMessage>(
    stream,
    (m) => {
      const error = progressError(m);
      // followProgress would resolve here; an error inside the stream is the install failing.
      if (error)
        throw (
          imageNotFound({ json: { message: error } }, reference) ??
          new DockerError(`${what} failed on ${conn.label}: ${error}`, undefined, 'DOCKER_API')
        );
      if (m.status) {
        options.onProgress?.({
          message: [m.status, m.progress].filter(Boolean).join(' '),
          current: m.progressDetail?.current,
          total: m.progressDetail?.total,
        });
      }
    },
    { idleMs: Math.max(options.timeoutMs ?? conn.timeoutMs, 60_000), signal: options.signal, what: `${what} on ${conn.label}` },
  );
}

/** PLUGIN_IMAGE_NOT_FOUND for the registry's "no such image" answers, else undefined. */
function imageNotFound(err: unknown, reference: string): DockerError | undefined {
  const msg = daemonMessage(err) ?? '';
  if (
    statusCode(err) === 404 ||
    /manifest unknown|error resolving plugin reference|not found|does not exist|pull access denied|repository .* not found|no such host|name unknown/i.test(
      msg,
    )
  ) {
    return new DockerError(
      `The plugin image ${reference} was not found${msg ? `: ${msg}` : ''}.`,
      'Check the vdvs.plugin.reference setting, and that the Docker host can reach that registry.',
      'PLUGIN_IMAGE_NOT_FOUND',
      { cause: err },
    );
  }
  return undefined;
}
