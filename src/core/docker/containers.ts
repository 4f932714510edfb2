import type { Readable } from 'node:stream';
import { UserError } from '../errors';
import { failWhenSilent } from '../idleStream';
import { CallOptions, DockerConnection } from './connection';
import { daemonMessage, DockerError } from './dockerErrors';
import { ProgressMessage, progressError, readJsonLines } from './jsonStream';

/** Label on the containers the extension starts, so the tree can offer to stop/remove them. */
export const TEST_CONTAINER_LABEL = 'vdvs.testContainer';
export const TEST_MOUNT_TARGET = '/vmdk';

/** A container as the tree and backups need it. */
export interface DockerContainer {
  id: string;
  /** Without the leading "/". */
  name: string;
  image: string;
  /** running, exited, created, … */
  state: string;
  /** "Up 5 minutes" */
  status: string;
  labels: Record<string, string>;
  /** Volumes mounted, with where and how; driver as Docker records it (`vsphere:latest`). */
  mounts: { volume: string; target: string; readOnly: boolean; driver?: string }[];
}

interface ApiContainer {
  Id: string;
  Names?: string[];
  Image: string;
  State: string;
  Status: string;
  Labels?: Record<string, string> | null;
  Mounts?: { Type: string; Name?: string; Destination: string; RW: boolean; Driver?: string }[] | null;
}

/** `docker ps -a [--filter volume=V]…` (several names: containers mounting any of them). */
export async function listContainers(
  conn: DockerConnection,
  options: CallOptions & { volume?: string | string[] } = {},
): Promise<DockerContainer[]> {
  const query = { all: true, ...(options.volume ? { filters: { volume: [options.volume].flat() } } : {}) };
  const list = await conn.dial<ApiContainer[]>('Listing containers', { method: 'GET', path: '/containers/json', query }, options);
  return list.map(toContainer);
}

/** Containers by the volume names they mount: one API call for the whole tree. */
export function containersByVolume(containers: DockerContainer[]): Map<string, DockerContainer[]> {
  const map = new Map<string, DockerContainer[]>();
  for (const c of containers) {
    for (const m of c.mounts) map.set(m.volume, [...(map.get(m.volume) ?? []), c]);
  }
  return map;
}

/** `docker stop -t S ID`; the call's deadline covers the daemon's grace period. */
export async function stopContainer(conn: DockerConnection, id: string, graceSeconds = 10, options?: CallOptions): Promise<void> {
  await conn.dial(
    `Stopping container ${id.slice(0, 12)}`,
    { method: 'POST', path: `/containers/${id}/stop`, query: { t: graceSeconds }, ok: [204, 304] },
    {
      ...options,
      timeoutMs: (options?.timeoutMs ?? conn.timeoutMs) + graceSeconds * 1000,
    },
  );
}

/** `docker start ID` (vDVS attaches the disk to the VM here). */
export async function startContainer(conn: DockerConnection, id: string, options?: CallOptions): Promise<void> {
  await conn.dial(`Starting container ${id.slice(0, 12)}`, { method: 'POST', path: `/containers/${id}/start`, ok: [204, 304] }, options);
}

/** `docker rm [-f] ID`. */
export async function removeContainer(conn: DockerConnection, id: string, force = false, options?: CallOptions): Promise<void> {
  await conn.dial(
    `Removing container ${id.slice(0, 12)}`,
    { method: 'DELETE', path: `/containers/${id}`, query: force ? { force: true } : {} },
    options,
  );
}

export interface VolumeContainerRequest {
  volume: string;
  image: string;
  name?: string;
  target?: string;
  readOnly?: boolean;
  command?: string[];
  labels?: Record<string, string>;
}

/**
 * `docker run -d --name N --network none --mount source=VOL,target=/vmdk[,readonly] IMAGE CMD…`: creates
 * and starts a container with the volume mounted (pulling the image when the host lacks it). A failed
 * start removes the container again, so nothing is left behind.
 */
export async function runWithVolume(
  conn: DockerConnection,
  request: VolumeContainerRequest,
  options?: CallOptions,
): Promise<DockerContainer> {
  await ensureImage(conn, request.image, options);
  const target = request.target ?? TEST_MOUNT_TARGET;
  const created = await conn.dial<{ Id: string }>(
    `Creating a container for volume ${request.volume}`,
    {
      method: 'POST',
      path: '/containers/create',
      query: request.name ? { name: request.name } : {},
      body: {
        Image: request.image,
        Cmd: request.command ?? ['sleep', '1d'],
        Labels: request.labels ?? {},
        HostConfig: {
          NetworkMode: 'none',
          Mounts: [{ Type: 'volume', Source: request.volume, Target: target, ReadOnly: !!request.readOnly }],
        },
      },
    },
    options,
  );
  try {
    await startContainer(conn, created.Id, options);
  } catch (err) {
    await removeContainer(conn, created.Id, true, options).catch(() => undefined);
    throw err;
  }
  const [container] = await listContainers(conn, { ...options, volume: request.volume }).then((cs) =>
    cs.filter((c) => c.id === created.Id),
  );
  if (!container)
    throw new DockerError(
      `The container for volume ${request.volume} vanished right after it started.`,
      'See `docker logs` on the host.',
      'DOCKER_API',
    );
  return container;
}

/** The reference walkthrough's test container: `--mount source=VOL,target=/vmdk IMAGE sleep 1d`, labelled as ours. */
export function runTestContainer(conn: DockerConnection, volume: string, image: string, options?: CallOptions): Promise<DockerContainer> {
  return runWithVolume(conn, { volume, image, name: testContainerName(volume), labels: { [TEST_CONTAINER_LABEL]: volume } }, options);
}

/** A container name derived from the volume, valid for Docker ([a-zA-Z0-9][a-zA-Z0-9_.-]*). */
export function testContainerName(volume: string): string {
  const base = volume.replace(/[^a-zA-Z0-9_.-]/g, '-').replace(/^[^a-zA-Z0-9]+/, '');
  return `vdvs-test-${base || 'volume'}-${Date.now().toString(36)}`;
}

/**
 * A tar stream of `path` inside a (running) container: GET /containers/ID/archive. For archive
 * backups from a helper started with runWithVolume(readOnly). The headers come under the call's
 * deadline; the body fails with TIMEOUT when the daemon sends nothing for that long while we wait
 * for it (a stuck daemon or volume plugin), naming `what` (default: the path in the container).
 * Cancel with `signal`.
 */
export async function containerArchive(
  conn: DockerConnection,
  id: string,
  path: string,
  options: CallOptions & { what?: string } = {},
): Promise<Readable> {
  const what = options.what ?? `${path} of container ${id.slice(0, 12)}`;
  const body = await conn.dial<Readable>(
    `Reading ${what}`,
    { method: 'GET', path: `/containers/${id}/archive`, query: { path }, stream: true },
    options,
  );
  const idleMs = options.timeoutMs ?? conn.timeoutMs;
  return failWhenSilent(
    body,
    idleMs,
    () =>
      new UserError(
        `${conn.label} sent no data for ${Math.round(idleMs / 1000)} s while streaming ${what}.`,
        'The Docker daemon or the volume plugin may be stuck (check `docker info` and the plugin log), or raise vdvs.requestTimeoutSeconds.',
        'TIMEOUT',
      ),
  );
}

/** Pulls `image` unless the host has it; IMAGE_NOT_FOUND when the registry does not. */
export async function ensureImage(conn: DockerConnection, image: string, options?: CallOptions): Promise<void> {
  try {
    await conn.dial(`Inspecting image ${image}`, { method: 'GET', path: `/images/${encodeURIComponent(image)}/json` }, options);
    return;
  } catch (err) {
    if (!(err instanceof DockerError && err.code === 'NOT_FOUND')) throw err;
  }
  const notFound = (detail: string) =>
    new DockerError(
      `The image ${image} is not on ${conn.label} and could not be pulled: ${detail}.`,
      'Set vdvs.testContainer.image to an image the host has or can pull.',
      'IMAGE_NOT_FOUND',
    );
  let stream: Readable;
  try {
    stream = await conn.dial<Readable>(
      `Pulling image ${image}`,
      { method: 'POST', path: '/images/create', query: { fromImage: image }, stream: true },
      options,
    );
  } catch (err) {
    throw err instanceof DockerError && err.code !== 'DAEMON_UNREACHABLE' ? notFound(daemonMessage(err) ?? err.message) : err;
  }
  await readJsonLines<ProgressMessage>(
    stream,
    (m) => {
      const error = progressError(m);
      if (error) throw notFound(error);
    },
    { idleMs: Math.max(options?.timeoutMs ?? conn.timeoutMs, 60_000), signal: options?.signal, what: `Pulling image ${image}` },
  );
}

function toContainer(c: ApiContainer): DockerContainer {
  return {
    id: c.Id,
    name: (c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, ''),
    image: c.Image,
    state: c.State,
    status: c.Status,
    labels: c.Labels ?? {},
    mounts: (c.Mounts ?? [])
      .filter((m) => m.Type === 'volume' && m.Name)
      .map((m) => ({ volume: m.Name!, target: m.Destination, readOnly: !m.RW, driver: m.Driver })),
  };
}
