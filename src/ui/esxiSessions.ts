import * as vscode from 'vscode';
import { UserError } from '../core/errors';
import type { VsphereSession } from '../core/vsphere/session';
import { connectToHost } from '../core/vsphere/connect';
import { perExtension, requestTimeoutMs, Services } from './services';

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
      session = this.open(hostId, signal);
      this.sessions.set(hostId, session);
      session.catch(() => this.sessions.get(hostId) === session && this.sessions.delete(hostId));
    }
    return session;
  }

  /** The session of `hostId` if one is open or opening; never logs in. */
  ifOpen(hostId: string): Promise<VsphereSession> | undefined {
    return this.sessions.get(hostId);
  }

  /** Logs the host's session out (e.g. after its password or URL changed). */
  async drop(hostId: string): Promise<void> {
    const session = this.sessions.get(hostId);
    this.sessions.delete(hostId);
    await session?.then((s) => s.close(), () => undefined);
  }

  dispose(): void {
    for (const id of [...this.sessions.keys()]) void this.drop(id);
  }

  private async open(hostId: string, signal?: AbortSignal): Promise<VsphereSession> {
    const host = this.services.hosts.get('esxi', hostId);
    if (!host) throw new UserError('This ESXi host is no longer configured.', undefined, 'NO_HOST');
    const password = await this.services.hosts.getSecret('esxi', hostId, 'password');
    if (password === undefined) throw new UserError(`No password is stored for ${host.name}.`, 'Re-enter the password.', 'NO_PASSWORD');
    const log = this.services.log;
    log.info(`vSphere: logging in to ${host.url} as ${host.user}`);
    return connectToHost(host, password, { timeoutMs: requestTimeoutMs(), caBundlePath: caBundlePath(), log: (line) => log.debug(line), signal });
  }
}

/** The vdvs.tls.caBundlePath setting, if set. */
export function caBundlePath(): string | undefined {
  return vscode.workspace.getConfiguration('vdvs').get<string>('tls.caBundlePath') || undefined;
}

/** The session cache of this extension instance. */
export const esxiSessions = perExtension((services) => new EsxiSessions(services));
