import * as vscode from 'vscode';
import { DockerHostConfig } from '../../../core/config';
import { DockerConnection } from '../../../core/docker/connection';
import { requestTimeoutMs, Services } from '../../services';

/** The secret names of a Docker host in SecretStorage. */
export const DOCKER_SECRETS = ['sshPassphrase'] as const;

/**
 * One open DockerConnection per configured host, shared by the tree, its events watch and the
 * commands (over ssh:// that is one SSH connection instead of one per call). A host whose settings
 * changed gets a new connection.
 */
export class HostConnections implements vscode.Disposable {
  private readonly open = new Map<string, { key: string; conn: Promise<DockerConnection> }>();

  constructor(private readonly services: Services) {}

  get(host: DockerHostConfig): Promise<DockerConnection> {
    const key = JSON.stringify([host, requestTimeoutMs(), caBundlePath()]);
    const cached = this.open.get(host.id);
    if (cached?.key === key) return cached.conn;
    this.drop(host.id);
    const conn = (async () =>
      DockerConnection.open(host, {
        timeoutMs: requestTimeoutMs(),
        secrets: { sshPassphrase: await this.services.hosts.getSecret('docker', host.id, 'sshPassphrase') },
        caBundlePath: caBundlePath(),
      }))();
    this.open.set(host.id, { key, conn });
    // A failed open is not cached: the next call tries again.
    conn.catch(() => this.open.get(host.id)?.conn === conn && this.open.delete(host.id));
    return conn;
  }

  /** Closes the host's connection (after a transport failure, or when the host is removed). */
  drop(hostId: string): void {
    const cached = this.open.get(hostId);
    this.open.delete(hostId);
    cached?.conn.then((c) => c.close(), () => undefined);
  }

  dispose(): void {
    for (const id of [...this.open.keys()]) this.drop(id);
  }
}

function caBundlePath(): string | undefined {
  return vscode.workspace.getConfiguration('vdvs').get<string>('tls.caBundlePath') || undefined;
}
