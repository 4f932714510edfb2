import * as vscode from 'vscode';
import { EsxiHostConfig, SshSettings } from '../../../core/config';
import { errorMessage, UserError } from '../../../core/errors';
import { probeHostKey } from '../../../core/ssh/connect';
import { HostKeyError } from '../../../core/ssh/hostKey';
import { ESXI_PIN_ADVICE, SshSession } from '../../../core/ssh/shellSession';
import { readSshConfig } from '../../../core/ssh/sshConfig';
import { confirmFingerprint } from '../../prompts';
import { requestTimeoutMs, Services } from '../../services';
import { revealVibNode } from '../../trees/esxiHostsView';
import { resolveHost } from '../esxi/hostArg';
import { remoteLog } from '../../connections';
import { SSH_SECRET } from '../../hosts';
import { splitArg } from './vibSession';

/**
 * Answers for "Configure SSH…" (automation, tests): what is given is not asked. The host key is
 * pinned without the prompt only if `trustFingerprint` equals what the host presents.
 */
export interface SshFormInput {
  hostId?: string;
  host?: string;
  port?: number;
  user?: string;
  auth?: SshSettings['auth'];
  keyPath?: string;
  /** The password, or the key's passphrase ('' for none). */
  secret?: string;
  trustFingerprint?: string;
}

/**
 * Sets up SSH to an ESXi host: address, port, user and authentication (prefilled from the current
 * settings and ~/.ssh/config), shows the host key's SHA-256 fingerprint for the user to pin, proves
 * the login, then saves the settings (secret to secret storage). Returns the updated host.
 */
export async function configureSsh(services: Services, arg?: unknown): Promise<EsxiHostConfig | undefined> {
  const { hostArg } = splitArg(arg);
  const input: SshFormInput = arg && typeof arg === 'object' && !('getTreeItem' in arg) ? arg : {};
  const host = await resolveHost(services, hostArg, 'ESXi host to reach over SSH');
  const current = host.ssh;
  const address =
    input.host ??
    (await ask({
      title: 'SSH: host',
      prompt: 'Address of the ESXi host, or a Host alias from ~/.ssh/config',
      value: current?.host ?? hostnameOf(host.url),
      validateInput: (v) => (v.trim() ? undefined : 'The address is required'),
    }));
  const fromConfig = await readSshConfig(address.trim());
  const port =
    input.port ??
    Number(
      await ask({
        title: 'SSH: port',
        prompt: 'SSH port (22 unless ~/.ssh/config says otherwise)',
        value: String(current?.port ?? fromConfig.port ?? 22),
        validateInput: (v) => (/^\d+$/.test(v) && +v > 0 && +v < 65536 ? undefined : 'A port number from 1 to 65535'),
      }),
    );
  const user =
    input.user ??
    (await ask({
      title: 'SSH: user',
      prompt: 'User with an ESXi shell (usually root)',
      value: current?.user ?? fromConfig.user ?? 'root',
      validateInput: (v) => (v.trim() ? undefined : 'The user is required'),
    }));
  const auth = input.auth ?? (await pickAuth(current?.auth, fromConfig.identityFile));
  const keyPath = auth === 'key' ? (input.keyPath ?? (await pickKey(current?.keyPath ?? fromConfig.identityFile))) : undefined;
  const secret =
    auth === 'agent'
      ? undefined
      : (input.secret ??
        (await ask({
          title: auth === 'password' ? `SSH: password of ${user}` : 'SSH: key passphrase',
          prompt:
            auth === 'password'
              ? 'Kept in VS Code secret storage'
              : 'Passphrase of the key (leave empty if it has none); kept in VS Code secret storage',
          password: true,
        })));

  const settings: SshSettings = { host: address.trim(), port, user: user.trim(), auth, keyPath };
  const log = remoteLog(services, host, secret);
  const timeoutMs = requestTimeoutMs();
  const fingerprint = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Connecting to ${settings.host}:${port}` },
    async () => {
      const offered = await probeHostKey(settings.host, port, timeoutMs);
      await trustHostKey(`The SSH host key of ${settings.host}:${port}`, offered, current?.hostKeyFingerprint, input.trustFingerprint);
      // prove the login with the pinned key before saving anything
      const session = await SshSession.open({ ...settings, hostKeyFingerprint: offered, secret: secret || undefined }, { timeoutMs, log });
      session.close();
      return offered;
    },
  );

  const updated: EsxiHostConfig = { ...host, ssh: { ...settings, hostKeyFingerprint: fingerprint } };
  for (const [kind, name] of Object.entries(SSH_SECRET)) {
    if (!name) continue;
    if (kind === auth && secret) await services.hosts.setSecret('esxi', host.id, name, secret);
    else await services.hosts.deleteSecret('esxi', host.id, name);
  }
  await services.hosts.save('esxi', updated);
  services.log.info(`${host.name}: SSH ${settings.user}@${settings.host}:${port} (${auth}) set up, host key ${fingerprint} pinned`);
  // the VIB status is what SSH was set up for: show it (a failed reveal only costs the view)
  revealVibNode(services, host.id).catch((err) =>
    services.log.warn(`ESXi Hosts: could not show the VIB of ${host.name}: ${errorMessage(err)}`),
  );
  void vscode.window.showInformationMessage(`SSH to ${host.name} is set up; host key ${fingerprint} pinned.`);
  return updated;
}

async function trustHostKey(what: string, offered: string, pinned: string | undefined, expected: string | undefined): Promise<void> {
  if (expected !== undefined) {
    if (expected !== offered) throw HostKeyError.changed(what.replace(/^The SSH host key of /, ''), expected, offered, ESXI_PIN_ADVICE);
    return;
  }
  if (pinned === offered) return;
  const detail = pinned
    ? `It differs from the key pinned before (${pinned}). Pin the new one only if the host's keys were regenerated.`
    : undefined;
  if (!(await confirmFingerprint(what, offered, detail)))
    throw new UserError(`${what} was not trusted, so SSH was not set up.`, undefined, 'HOST_KEY_REFUSED');
}

async function pickAuth(current: SshSettings['auth'] | undefined, identityFile: string | undefined): Promise<SshSettings['auth']> {
  const items: (vscode.QuickPickItem & { auth: SshSettings['auth'] })[] = [
    { label: '$(key) Private key file', description: identityFile ? `~/.ssh/config: ${identityFile}` : undefined, auth: 'key' },
    {
      label: '$(shield) ssh-agent',
      description: process.env.SSH_AUTH_SOCK ? 'running' : 'SSH_AUTH_SOCK is not set for VS Code',
      auth: 'agent',
    },
    { label: '$(lock) Password', description: 'kept in VS Code secret storage', auth: 'password' },
  ];
  const pick = await vscode.window.showQuickPick(
    items.map((i) => ({ ...i, picked: i.auth === current })),
    // like the form's input boxes: a click elsewhere (or a redrawn walkthrough page) does not cancel it
    { title: 'SSH: authentication', placeHolder: 'How to log in to the ESXi shell', ignoreFocusOut: true },
  );
  if (!pick) throw new vscode.CancellationError();
  return pick.auth;
}

async function pickKey(suggested: string | undefined): Promise<string> {
  const picked = await vscode.window.showOpenDialog({
    title: 'SSH private key',
    openLabel: 'Use Key',
    canSelectMany: false,
    defaultUri: suggested ? vscode.Uri.file(suggested) : undefined,
  });
  if (!picked?.[0]) throw new vscode.CancellationError();
  return picked[0].fsPath;
}

async function ask(options: vscode.InputBoxOptions): Promise<string> {
  const value = await vscode.window.showInputBox({ ignoreFocusOut: true, ...options });
  if (value === undefined) throw new vscode.CancellationError();
  return value;
}

function hostnameOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return '';
  }
}
