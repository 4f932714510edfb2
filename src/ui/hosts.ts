import * as vscode from 'vscode';
import { HostConfigByKind, HostKind, SshSettings } from '../core/config';

const SETTING: Record<HostKind, string> = { esxi: 'esxiHosts', docker: 'dockerHosts' };

/**
 * Every secret a host of each kind may have in SecretStorage: the registry owns these names, so
 * remove() deletes them all and no command has to know which ones a host collected.
 */
export const HOST_SECRETS = {
  esxi: ['password', 'sshPassword', 'sshKeyPassphrase'],
  docker: ['sshPassphrase'],
} as const satisfies Record<HostKind, readonly string[]>;

export type HostSecret<K extends HostKind> = (typeof HOST_SECRETS)[K][number];

/** Which of an ESXi host's secrets its SSH login uses, by how it logs in. */
export const SSH_SECRET: Record<SshSettings['auth'], HostSecret<'esxi'> | undefined> = {
  password: 'sshPassword',
  key: 'sshKeyPassphrase',
  agent: undefined,
};

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

  /** Forgets the host and every secret of its kind (HOST_SECRETS). */
  async remove(kind: HostKind, id: string): Promise<void> {
    await this.write(
      kind,
      this.list(kind).filter((h) => h.id !== id),
    );
    await Promise.all(HOST_SECRETS[kind].map((name) => this.secrets.delete(secretKey(kind, id, name))));
  }

  getSecret<K extends HostKind>(kind: K, id: string, name: HostSecret<K>): Thenable<string | undefined> {
    return this.secrets.get(secretKey(kind, id, name));
  }

  setSecret<K extends HostKind>(kind: K, id: string, name: HostSecret<K>, value: string): Thenable<void> {
    return this.secrets.store(secretKey(kind, id, name), value);
  }

  deleteSecret<K extends HostKind>(kind: K, id: string, name: HostSecret<K>): Thenable<void> {
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
