import * as vscode from 'vscode';
import { EsxiHostConfig, newHostId } from '../../../core/config';
import { UserError } from '../../../core/errors';
import { probeCertificate } from '../../../core/vsphere/tls';
import { caBundlePath, esxiSessions, tryEsxiLogin } from '../../connections';
import { Prompter } from '../../prompter';
import { confirmFingerprint } from '../../prompts';
import { requestTimeoutMs, Services } from '../../services';
import { esxiHostsTree } from '../../trees/esxiHostsView';

/**
 * Answers for the add/edit form, for automation and tests: given fields are not asked. The
 * certificate is pinned without the prompt only if `trustThumbprint` equals what the host presents.
 */
export interface HostFormInput {
  url?: string;
  user?: string;
  password?: string;
  name?: string;
  trustThumbprint?: string;
}

/**
 * Asks for URL, user, password and name (prefilled from `existing` or `preset`), pins the certificate
 * the user confirms, proves the login (a wrong password is told in the password box), then saves the
 * host (password to secret storage).
 */
export async function hostForm(
  services: Services,
  ui: Prompter,
  existing: EsxiHostConfig | undefined,
  preset: HostFormInput = {},
): Promise<EsxiHostConfig | undefined> {
  const url =
    preset.url ??
    (await ask(ui, {
      id: 'url',
      title: 'ESXi host or vCenter',
      prompt: 'Address or URL of the ESXi host or vCenter (https://host/sdk)',
      value: existing?.url ?? '',
      validate: (v) => (toSdkUrl(v) ? undefined : 'Enter a host name, an address, or an https:// URL'),
    }));
  const sdkUrl = toSdkUrl(url ?? '');
  if (!sdkUrl) throw new UserError(`"${url}" is not a host name or https URL.`, undefined, 'BAD_URL');
  const user =
    preset.user ??
    (await ask(ui, {
      id: 'user',
      title: 'User',
      prompt: 'User name (root for ESXi, e.g. administrator@vsphere.local for vCenter)',
      value: existing?.user ?? 'root',
      validate: (v) => (v.trim() ? undefined : 'The user name is required'),
    }));
  const host: EsxiHostConfig = {
    ...existing,
    id: existing?.id ?? newHostId(),
    url: sdkUrl,
    user: user.trim(),
    name: existing?.name ?? new URL(sdkUrl).hostname,
  };
  if (existing?.url !== sdkUrl) delete host.thumbprint;
  host.thumbprint = await pinCertificate(ui, host, preset.trustThumbprint);

  let password = preset.password ?? (existing ? await services.hosts.getSecret('esxi', existing.id, 'password') : undefined);
  let refused = false;
  if (password !== undefined) {
    try {
      await proveLogin(host, password);
    } catch (err) {
      if (!isWrongPassword(err) || preset.password !== undefined) throw err;
      refused = true;
      password = undefined;
    }
  }
  password ??= await ask(ui, {
    id: 'password',
    title: `Password for ${host.user}`,
    prompt: `${refused ? 'The saved password was refused. ' : ''}Password of ${host.user} on ${new URL(sdkUrl).host} (kept in VS Code secret storage)`,
    value: '',
    password: true,
    validate: () => undefined,
    check: passwordCheck(host),
  });
  host.name =
    preset.name ??
    ((await ask(ui, {
      id: 'name',
      title: 'Name',
      prompt: 'Name shown in the ESXi Hosts view',
      value: host.name,
      validate: () => undefined,
    })) ||
      host.name);

  await services.hosts.setSecret('esxi', host.id, 'password', password);
  await services.hosts.save('esxi', host);
  await esxiSessions(services).drop(host.id);
  esxiHostsTree(services).refreshHost(host.id);
  services.log.info(
    `ESXi host ${host.name} (${host.url}) ${existing ? 'updated' : 'added'}${host.thumbprint ? `, certificate pinned ${host.thumbprint}` : ''}`,
  );
  return host;
}

/** Bare host, host:port or URL → https://host[:port]/sdk. */
export function toSdkUrl(text: string): string | undefined {
  const t = text.trim();
  if (!t) return undefined;
  try {
    const u = new URL(/^[a-z]+:\/\//i.test(t) ? t : `https://${t}`);
    if (u.protocol !== 'https:' || !u.hostname || u.username || u.password) return undefined;
    if (u.pathname === '/' || u.pathname === '') u.pathname = '/sdk';
    return u.toString();
  } catch {
    return undefined;
  }
}

/**
 * The password box's check: logs in with what was typed; a wrong password is the box's error text (the
 * box stays open for the next try), any other failure ends the form.
 */
export function passwordCheck(host: EsxiHostConfig): (password: string) => Promise<string | undefined> {
  return async (password) => {
    try {
      await tryEsxiLogin(host, password);
      return undefined;
    } catch (err) {
      if (isWrongPassword(err)) return err.message;
      throw err;
    }
  };
}

function isWrongPassword(err: unknown): err is UserError {
  return err instanceof UserError && err.code === 'INVALID_LOGIN';
}

/** One input box of the form (one question at a time, no back button); a cancel ends the form. */
async function ask(ui: Prompter, question: Omit<Parameters<Prompter['input']>[0], 'step' | 'totalSteps'>): Promise<string> {
  const value = await ui.input({ step: 1, totalSteps: 1, ...question });
  if (typeof value !== 'string') throw new vscode.CancellationError();
  return value;
}

/** The thumbprint to pin, or undefined when the certificate is CA-verified. Asks before pinning. */
async function pinCertificate(ui: Prompter, host: EsxiHostConfig, trustThumbprint: string | undefined): Promise<string | undefined> {
  const cert = await probeCertificate(host.url, requestTimeoutMs(), caBundlePath());
  if (cert.authorized && !host.thumbprint) return undefined;
  if (host.thumbprint === cert.thumbprint) return host.thumbprint;
  const what = `The certificate of ${new URL(host.url).host}${cert.subject ? ` (${cert.subject})` : ''}`;
  const detail = host.thumbprint ? `It changed: the pinned thumbprint was ${host.thumbprint}.` : undefined;
  const trusted =
    trustThumbprint !== undefined
      ? trustThumbprint.toUpperCase() === cert.thumbprint
      : await confirmFingerprint(ui, what, cert.thumbprint, detail);
  if (!trusted)
    throw new UserError(
      `Not trusted: ${what} has the SHA-256 thumbprint ${cert.thumbprint}; the host was not ${host.thumbprint ? 'updated' : 'added'}.`,
      undefined,
      'CERT_REFUSED',
    );
  return cert.thumbprint;
}

function proveLogin(host: EsxiHostConfig, password: string): Thenable<void> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Logging in to ${new URL(host.url).host}…`, cancellable: true },
    async (_p, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      await tryEsxiLogin(host, password, abort.signal);
    },
  );
}
