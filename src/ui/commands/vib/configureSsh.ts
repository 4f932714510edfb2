import * as vscode from 'vscode';
import { EsxiHostConfig, SshSettings } from '../../../core/config';
import { CancelledError } from '../../../core/abort';
import { errorMessage, UserError } from '../../../core/errors';
import { probeHostKey } from '../../../core/ssh/connect';
import { HostKeyError } from '../../../core/ssh/hostKey';
import { ESXI_PIN_ADVICE, SshSession } from '../../../core/ssh/shellSession';
import { readSshConfig } from '../../../core/ssh/sshConfig';
import { confirmFingerprint } from '../../prompts';
import { CommandContext, CommandInput } from '../../commandContext';
import { Prompter } from '../../prompter';
import { requestTimeoutMs } from '../../services';
import { EsxiNode } from '../../trees/esxi/esxiNode';
import { revealVibNode } from '../../trees/esxiHostsView';
import { resolveHost } from '../esxi/hostArg';
import { remoteLog } from '../../connections';
import { SSH_SECRET } from '../../hosts';

/**
 * Answers for "Configure SSH…" (automation, tests): what is given is not asked. The host key is
 * pinned without the prompt only if `trustFingerprint` equals what the host presents.
 */
export interface SshFormInput extends CommandInput {
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
export async function configureSsh(ctx: CommandContext<SshFormInput>, node?: EsxiNode): Promise<EsxiHostConfig | undefined> {
  const { services, ui, input } = ctx;
  const host = await resolveHost(ctx, node, 'ESXi host to reach over SSH');
  const current = host.ssh;
  const address =
    input.host ??
    (await ask(ui, {
      title: 'SSH: host',
      prompt: 'Address of the ESXi host, or a Host alias from ~/.ssh/config',
      value: current?.host ?? hostnameOf(host.url),
      validate: (v) => (v.trim() ? undefined : 'The address is required'),
    }));
  const fromConfig = await readSshConfig(address.trim());
  const port =
    input.port ??
    Number(
      await ask(ui, {
        title: 'SSH: port',
        prompt: 'SSH port (22 unless ~/.ssh/config says otherwise)',
        value: String(current?.port ?? fromConfig.port ?? 22),
        validate: (v) => (/^\d+$/.test(v) && +v > 0 && +v < 65536 ? undefined : 'A port number from 1 to 65535'),
      }),
    );
  const user =
    input.user ??
    (await ask(ui, {
      title: 'SSH: user',
      prompt: 'User with an ESXi shell (usually root)',
      value: current?.user ?? fromConfig.user ?? 'root',
      validate: (v) => (v.trim() ? undefined : 'The user is required'),
    }));
  const auth = input.auth ?? (await pickAuth(ui, current?.auth, fromConfig.identityFile));
  const keyPath = auth === 'key' ? (input.keyPath ?? (await pickKey(ui, current?.keyPath ?? fromConfig.identityFile))) : undefined;
  const secret =
    auth === 'agent'
      ? undefined
      : (input.secret ??
        (await ask(ui, {
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
      await trustHostKey(ui, `The SSH host key of ${settings.host}:${port}`, offered, current?.hostKeyFingerprint, input.trustFingerprint);
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
  void ui.notify('info', `SSH to ${host.name} is set up; host key ${fingerprint} pinned.`);
  return updated;
}

async function trustHostKey(
  ui: Prompter,
  what: string,
  offered: string,
  pinned: string | undefined,
  expected: string | undefined,
): Promise<void> {
  if (expected !== undefined) {
    if (expected !== offered) throw HostKeyError.changed(what.replace(/^The SSH host key of /, ''), expected, offered, ESXI_PIN_ADVICE);
    return;
  }
  if (pinned === offered) return;
  const detail = pinned
    ? `It differs from the key pinned before (${pinned}). Pin the new one only if the host's keys were regenerated.`
    : undefined;
  if (!(await confirmFingerprint(ui, what, offered, detail)))
    throw new UserError(`${what} was not trusted, so SSH was not set up.`, undefined, 'HOST_KEY_REFUSED');
}

async function pickAuth(
  ui: Prompter,
  current: SshSettings['auth'] | undefined,
  identityFile: string | undefined,
): Promise<SshSettings['auth']> {
  const auth = await ui.pick<SshSettings['auth']>({
    id: 'auth',
    title: 'SSH: authentication',
    step: 1,
    totalSteps: 1,
    placeholder: 'How to log in to the ESXi shell',
    items: [
      { label: '$(key) Private key file', description: identityFile ? `~/.ssh/config: ${identityFile}` : undefined, value: 'key' as const },
      {
        label: '$(shield) ssh-agent',
        description: process.env.SSH_AUTH_SOCK ? 'running' : 'SSH_AUTH_SOCK is not set for VS Code',
        value: 'agent' as const,
      },
      { label: '$(lock) Password', description: 'kept in VS Code secret storage', value: 'password' as const },
    ].map((i) => ({ ...i, picked: i.value === current })),
  });
  if (typeof auth !== 'string') throw new CancelledError('SSH setup');
  return auth;
}

async function pickKey(ui: Prompter, suggested: string | undefined): Promise<string> {
  const picked = await ui.openFile({ title: 'SSH private key', openLabel: 'Use Key', defaultPath: suggested });
  if (!picked) throw new CancelledError('SSH setup');
  return picked;
}

/** One input of the form (the seam's input boxes keep focus, so a click elsewhere does not cancel them). */
async function ask(
  ui: Prompter,
  options: { title: string; prompt: string; value?: string; password?: boolean; validate?: (v: string) => string | undefined },
): Promise<string> {
  const value = await ui.input({
    id: options.title,
    step: 1,
    totalSteps: 1,
    value: '',
    validate: () => undefined,
    ...options,
  });
  if (typeof value !== 'string') throw new CancelledError('SSH setup');
  return value;
}

function hostnameOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return '';
  }
}
