import * as vscode from 'vscode';
import { DockerHostConfig, EsxiHostConfig } from '../core/config';
import { ConnectOptions, DockerConnection } from '../core/docker/connection';
import { DockerEvent, EventWatch, watchEvents } from '../core/docker/events';
import { UserError } from '../core/errors';
import { redact } from '../core/redact';
import { RemoteLog, SshSession, SshTarget } from '../core/ssh/shellSession';
import { connectToHost } from '../core/vsphere/connect';
import type { VsphereSession } from '../core/vsphere/session';
import { SSH_SECRET } from './hosts';
import { perExtension, requestTimeoutMs, Services } from './services';
import { pluginAlias } from './settings';

/** The vdvs.tls.caBundlePath setting, if set. */
export function caBundlePath(): string | undefined {
  return vscode.workspace.getConfiguration('vdvs').get<string>('tls.caBundlePath') || undefined;
}

interface PooledDocker {
  key: string;
  conn: Promise<DockerConnection>;
  /** Calls running on it (use()); a dropped connection is closed only when the last one ends. */
  users: number;
  dropped: boolean;
}

/**
 * One open DockerConnection per configured host, shared by the views, their events watches, the
 * commands and the backup tasks: over ssh:// that is one SSH connection instead of one per call or
 * refresh. A host whose settings changed gets a new connection; the old one is closed once the
 * calls running on it (a backup) are done.
 */
export class DockerConnections implements vscode.Disposable {
  private readonly open = new Map<string, PooledDocker>();

  constructor(private readonly services: Services) {}

  /** The host's connection, opened on first use. For long-lived readers (views, events), which re-ask on each read. */
  get(host: DockerHostConfig): Promise<DockerConnection> {
    return this.entry(host).conn;
  }

  /** Runs `work` on the host's connection; a drop meanwhile (settings changed) waits for it to end. */
  async use<T>(hostOrId: DockerHostConfig | string, work: (conn: DockerConnection) => Promise<T>): Promise<T> {
    const host = typeof hostOrId === 'string' ? this.services.hosts.get('docker', hostOrId) : hostOrId;
    if (!host) throw new UserError('That Docker host is no longer configured.', 'Refresh the view.', 'NO_HOST');
    const entry = this.entry(host);
    entry.users++;
    try {
      return await work(await entry.conn);
    } finally {
      entry.users--;
      if (entry.dropped && entry.users === 0) close(entry);
    }
  }

  /** Closes the host's connection (after a transport failure, or when the host is removed). */
  drop(hostId: string): void {
    const entry = this.open.get(hostId);
    if (!entry) return;
    this.open.delete(hostId);
    entry.dropped = true;
    if (entry.users === 0) close(entry);
  }

  dispose(): void {
    for (const id of [...this.open.keys()]) this.drop(id);
  }

  private entry(host: DockerHostConfig): PooledDocker {
    const key = JSON.stringify([host, dockerOptions(undefined)]);
    const cached = this.open.get(host.id);
    if (cached?.key === key) return cached;
    this.drop(host.id);
    const conn = (async () =>
      DockerConnection.open(host, dockerOptions(await this.services.hosts.getSecret('docker', host.id, 'sshPassphrase'))))();
    const entry: PooledDocker = { key, conn, users: 0, dropped: false };
    this.open.set(host.id, entry);
    // A failed open is not cached: the next call tries again.
    conn.catch(() => this.open.get(host.id) === entry && this.open.delete(host.id));
    return entry;
  }
}

/** How the extension opens a Docker connection: the settings of the moment, and the host's passphrase. */
function dockerOptions(sshPassphrase: string | undefined): ConnectOptions {
  return { timeoutMs: requestTimeoutMs(), secrets: { sshPassphrase }, caBundlePath: caBundlePath(), pluginAlias: pluginAlias() };
}

function close(entry: PooledDocker): void {
  entry.conn.then(
    (c) => c.close(),
    () => undefined,
  );
}

/**
 * One logged-in vSphere session per ESXi host or vCenter, shared by the ESXi view, its commands and
 * the features built on them (volumes, backups). A failed login is not cached, so the next expansion
 * or refresh tries again; changing a host's settings or password drops its session.
 */
export class EsxiSessions implements vscode.Disposable {
  private readonly sessions = new Map<string, Promise<VsphereSession>>();

  constructor(private readonly services: Services) {}

  /** The session of host `hostId`, logging in on first use. */
  get(hostId: string, signal?: AbortSignal): Promise<VsphereSession> {
    let session = this.sessions.get(hostId);
    if (!session) {
      session = this.login(hostId, signal);
      this.sessions.set(hostId, session);
      session.catch(() => this.sessions.get(hostId) === session && this.sessions.delete(hostId));
    }
    return session;
  }

  /** The session of `hostId` if one is open or opening; never logs in. */
  ifOpen(hostId: string): Promise<VsphereSession> | undefined {
    return this.sessions.get(hostId);
  }

  /**
   * Whether the host answers: on an open session a cheap call (CurrentTime); on none, a login. Throws
   * what failed, after forgetting the session (the next read logs in again). For the views' liveness watch.
   */
  async ping(hostId: string, timeoutMs: number): Promise<void> {
    const open = this.sessions.get(hostId);
    try {
      const session = await (open ?? this.get(hostId));
      if (open) await session.ping(timeoutMs);
    } catch (err) {
      // not drop(): a logout would wait on the host that just failed to answer
      if (this.sessions.get(hostId) === open) this.sessions.delete(hostId);
      throw err;
    }
  }

  /** Logs the host's session out (e.g. after its password or URL changed). */
  async drop(hostId: string): Promise<void> {
    const session = this.sessions.get(hostId);
    this.sessions.delete(hostId);
    await session?.then(
      (s) => s.close(),
      () => undefined,
    );
  }

  dispose(): void {
    for (const id of [...this.sessions.keys()]) void this.drop(id);
  }

  private async login(hostId: string, signal?: AbortSignal): Promise<VsphereSession> {
    const host = this.services.hosts.get('esxi', hostId);
    if (!host) throw new UserError('This ESXi host is no longer configured.', undefined, 'NO_HOST');
    const password = await this.services.hosts.getSecret('esxi', hostId, 'password');
    if (password === undefined) throw new UserError(`No password is stored for ${host.name}.`, 'Re-enter the password.', 'NO_PASSWORD');
    const log = this.services.log;
    log.info(`vSphere: logging in to ${host.url} as ${host.user}`);
    return connectToHost(host, password, {
      timeoutMs: requestTimeoutMs(),
      caBundlePath: caBundlePath(),
      log: (line) => log.debug(line),
      signal,
    });
  }
}

/** The SSH target of a host, with its secret; a UserError when SSH is not set up. */
export async function sshTarget(services: Services, host: EsxiHostConfig): Promise<SshTarget> {
  if (!host.ssh) throw new UserError(`SSH to ${host.name} is not set up.`, 'Run "Configure SSH…" on the host first.', 'NO_SSH');
  const secretName = SSH_SECRET[host.ssh.auth];
  const secret = secretName ? await services.hosts.getSecret('esxi', host.id, secretName) : undefined;
  return { ...host.ssh, secret };
}

/** Sends remote lines to the log channel, tagged with the host, secrets removed. */
export function remoteLog(services: Services, host: EsxiHostConfig, secret: string | undefined, quiet = false): RemoteLog {
  return (line, stream) => {
    const text = `[${host.name} ssh] ${redact(line, [secret])}`;
    if (quiet) services.log.debug(text);
    else if (stream === 'stderr') services.log.warn(text);
    else services.log.info(text);
  };
}

/** An SSH session to the ESXi shell of a configured host, its output logged with secrets removed. */
export async function openEsxiShell(services: Services, host: EsxiHostConfig, signal?: AbortSignal, quiet = false): Promise<SshSession> {
  const target = await sshTarget(services, host);
  return SshSession.open(target, { timeoutMs: requestTimeoutMs(), signal, log: remoteLog(services, host, target.secret, quiet) });
}

/**
 * One open ESXi shell per host for the readers that ask often (the Volumes view's
 * `vmdkops_admin.py volume ls`): a closed one is opened again on the next use. The VIB flows open
 * their own (openEsxiShell), they must not share a session a refresh is using.
 */
export class EsxiShells implements vscode.Disposable {
  private readonly shells = new Map<string, { key: string; session: Promise<SshSession> }>();

  constructor(private readonly services: Services) {}

  async use<T>(host: EsxiHostConfig, work: (session: SshSession) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const key = JSON.stringify(host.ssh);
    let entry = this.shells.get(host.id);
    if (
      entry &&
      entry.key === key &&
      !(await entry.session.then(
        (s) => s.closed,
        () => true,
      ))
    )
      return work(await entry.session);
    if (entry) this.drop(host.id);
    entry = { key, session: openEsxiShell(this.services, host, signal, true) };
    this.shells.set(host.id, entry);
    const opened = entry;
    opened.session.catch(() => this.shells.get(host.id) === opened && this.shells.delete(host.id));
    return work(await opened.session);
  }

  drop(hostId: string): void {
    const entry = this.shells.get(hostId);
    this.shells.delete(hostId);
    entry?.session.then(
      (s) => s.close(),
      () => undefined,
    );
  }

  dispose(): void {
    for (const id of [...this.shells.keys()]) this.drop(id);
  }
}

interface SharedWatch {
  key: string;
  listeners: Set<DockerEventListener>;
  watch?: EventWatch;
  /** Told unreachable and not back yet: the retries while it stays away tell nobody again. */
  unreachable?: boolean;
}

/** What a view hears of a Docker host's `docker events` stream. */
export interface DockerEventListener {
  onEvent(e: DockerEvent): void;
  /** The stream broke or ended, or the daemon missed a ping: the daemon is not answering now. */
  onUnreachable(err: Error): void;
  /** The stream is open again after `onUnreachable`. */
  onReconnected(): void;
}

/** A paused daemon keeps its socket open and silent: a ping this often (while a view listens) notices it. */
const PING_MS = 3_000;
/** While a daemon is away its stream is retried this soon, then less often (issue 18: back within seconds). */
const RETRY_MS = 2_000;
const MAX_RETRY_MS = 10_000;

/**
 * One `docker events` stream per Docker host, shared by every view that follows it (Docker Hosts,
 * Volumes) on the pooled connection: opened for the first listener, closed with the last, so a host
 * nobody looks at has no stream open. It is also the host's liveness watch: a stream that ends or a
 * missed ping tells the listeners at once (within vdvs.requestTimeoutSeconds: ping period + answer
 * time), and the stream's reconnect (2 s, doubling up to 10 s) tells them when the daemon is back.
 */
export class DockerEvents implements vscode.Disposable {
  private readonly watches = new Map<string, SharedWatch>();

  constructor(private readonly services: Services) {}

  subscribe(host: DockerHostConfig, listener: DockerEventListener): vscode.Disposable {
    const key = JSON.stringify(host);
    let shared = this.watches.get(host.id);
    if (shared && shared.key !== key) {
      // the host's settings changed: its listeners move to a stream on the new connection
      shared.watch?.dispose();
      shared.watch = undefined;
      shared.unreachable = false;
      shared.key = key;
    }
    if (!shared) {
      shared = { key, listeners: new Set() };
      this.watches.set(host.id, shared);
    }
    const entry = shared;
    entry.listeners.add(listener);
    entry.watch ??= this.start(host, entry);
    return new vscode.Disposable(() => {
      entry.listeners.delete(listener);
      if (entry.listeners.size || this.watches.get(host.id) !== entry) return;
      entry.watch?.dispose();
      this.watches.delete(host.id);
    });
  }

  dispose(): void {
    for (const w of this.watches.values()) w.watch?.dispose();
    this.watches.clear();
  }

  private start(host: DockerHostConfig, entry: SharedWatch): EventWatch {
    const pool = dockerConnections(this.services);
    const timeoutMs = requestTimeoutMs();
    return watchEvents(
      () => pool.get(host),
      (e) => entry.listeners.forEach((l) => l.onEvent(e)),
      {
        retryMs: RETRY_MS,
        maxRetryMs: MAX_RETRY_MS,
        pingMs: PING_MS,
        // a second to spare: the ping period plus its answer time stay within vdvs.requestTimeoutSeconds
        pingTimeoutMs: Math.max(1_000, timeoutMs - PING_MS - 1_000),
        onError: (err) => {
          this.services.log.debug(`Docker events of ${host.name}: ${err.message}`);
          // its sockets may hang on a paused daemon: the next read and the retry open a fresh connection
          pool.drop(host.id);
          if (entry.unreachable) return;
          entry.unreachable = true;
          entry.listeners.forEach((l) => l.onUnreachable(err));
        },
        onReconnected: () => {
          this.services.log.debug(`Docker events of ${host.name}: following again`);
          entry.unreachable = false;
          entry.listeners.forEach((l) => l.onReconnected());
        },
      },
    );
  }
}

/** The connection owner of this extension instance: every view, command and task asks it. */
export const dockerConnections = perExtension((services) => new DockerConnections(services));
export const esxiSessions = perExtension((services) => new EsxiSessions(services));
export const dockerEvents = perExtension((services) => new DockerEvents(services));
export const esxiShells = perExtension((services) => new EsxiShells(services));

/** A Docker host not saved yet (Add Docker Host): opens a connection with the pool's settings, calls `work`, closes it. */
export function tryDockerHost<T>(
  host: DockerHostConfig,
  sshPassphrase: string | undefined,
  work: (conn: DockerConnection) => Promise<T>,
): Promise<T> {
  return DockerConnection.using(host, dockerOptions(sshPassphrase), work);
}

/** An ESXi host not saved yet (Add/Edit ESXi Host): logs in with the pool's settings and out again. */
export async function tryEsxiLogin(host: EsxiHostConfig, password: string, signal?: AbortSignal): Promise<void> {
  const session = await connectToHost(host, password, { timeoutMs: requestTimeoutMs(), caBundlePath: caBundlePath(), signal });
  await session.close();
}

/** Runs `work` on the pooled connection of a configured Docker host. */
export function withDocker<T>(
  services: Services,
  hostOrId: DockerHostConfig | string,
  work: (conn: DockerConnection) => Promise<T>,
): Promise<T> {
  return dockerConnections(services).use(hostOrId, work);
}
