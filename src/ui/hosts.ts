import * as vscode from 'vscode';
import { HostConfigByKind, HostKind, SshSettings } from '../core/config';

const SETTING: Record<HostKind, string> = { esxi: 'esxiHosts', docker: 'dockerHosts' };

/** Secret-storage names of an ESXi host's SSH password and key passphrase, by how it logs in. */
export const SSH_SECRET: Record<SshSettings['auth'], string | undefined> = { password: 'sshPassword', key: 'sshKeyPassphrase', agent: undefined };
export const SSH_SECRET_NAMES = ['sshPassword', 'sshKeyPassphrase'];

/**
 * The hosts the user added: descriptions in (user) settings so they sync and can be edited,
 * secrets in SecretStorage under `vdvs.<kind>.<id>.<name>`, never in settings.
 */
export class HostRegistry implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<HostKind>();
  readonly onDidChange = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly secrets: vscode.SecretStorage) {
    this.subscription = vscode.workspace.onDidChangeConfiguration((e) => {
      for (const kind of Object.keys(SETTING) as HostKind[]) {
        if (e.affectsConfiguration(`vdvs.${SETTING[kind]}`)) this.changed.fire(kind);
      }
    });
  }

  list<K extends HostKind>(kind: K): HostConfigByKind[K][] {
    return vscode.workspace.getConfiguration('vdvs').get<HostConfigByKind[K][]>(SETTING[kind], []);
  }

  get<K extends HostKind>(kind: K, id: string): HostConfigByKind[K] | undefined {
    return this.list(kind).find((h) => h.id === id);
  }

  /** Adds the host, or replaces the entry with the same id. */
  async save<K extends HostKind>(kind: K, host: HostConfigByKind[K]): Promise<void> {
    const hosts = this.list(kind).filter((h) => h.id !== host.id);
    const index = this.list(kind).findIndex((h) => h.id === host.id);
    hosts.splice(index < 0 ? hosts.length : index, 0, host);
    await this.write(kind, hosts);
  }

  async remove(kind: HostKind, id: string, secretNames: readonly string[]): Promise<void> {
    await this.write(kind, this.list(kind).filter((h) => h.id !== id));
    await Promise.all(secretNames.map((name) => this.secrets.delete(secretKey(kind, id, name))));
  }

  getSecret(kind: HostKind, id: string, name: string): Thenable<string | undefined> {
    return this.secrets.get(secretKey(kind, id, name));
  }

  setSecret(kind: HostKind, id: string, name: string, value: string): Thenable<void> {
    return this.secrets.store(secretKey(kind, id, name), value);
  }

  deleteSecret(kind: HostKind, id: string, name: string): Thenable<void> {
    return this.secrets.delete(secretKey(kind, id, name));
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }

  private async write(kind: HostKind, hosts: unknown[]): Promise<void> {
    await vscode.workspace.getConfiguration('vdvs').update(SETTING[kind], hosts, vscode.ConfigurationTarget.Global);
  }
}

function secretKey(kind: HostKind, id: string, name: string): string {
  return `vdvs.${kind}.${id}.${name}`;
}
