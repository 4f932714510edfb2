import type { Client, ConnectConfig } from 'ssh2';
import { withDeadline } from '../abort';
import { checkHostKey, HostKeyError, PinAdvice, sshFingerprint } from './hostKey';
import { readSshConfig } from './sshConfig';

/** Where to log in: the host as the user named it (also the `Host` that ~/.ssh/config is matched with). */
export interface SshEndpoint {
  host: string;
  port: number;
  user: string;
  /** "SHA256:…" of the host key the user accepted; without it every login is refused. */
  hostKeyFingerprint?: string;
}

/** Credentials as ssh2 takes them; `password` also answers keyboard-interactive prompts (ESXi asks that way). */
export interface SshLogin {
  privateKey?: Buffer;
  passphrase?: string;
  password?: string;
  agent?: string;
}

export interface SshConnectOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  advice: PinAdvice;
}

export interface SshConnection {
  client: Client;
  /** Fingerprint of the key the host offered (the pinned one). */
  fingerprint: string;
}

/**
 * The one way this extension opens SSH: ~/.ssh/config's HostName applied, the host key checked
 * against the pin before any credential is sent (HostKeyError otherwise), a deadline and
 * cancellation. Other failures are ssh2's own errors (with `level`/`code`), for the caller to explain
 * in the words of its host kind; a server that closes during login gives an error with code SSH_CLOSED.
 */
export async function connectSsh(endpoint: SshEndpoint, login: SshLogin, options: SshConnectOptions): Promise<SshConnection> {
  const { Client } = await import('ssh2');
  const fromConfig = await readSshConfig(endpoint.host, endpoint.user);
  const where = `${endpoint.user}@${endpoint.host}:${endpoint.port}`;
  return withDeadline(
    `SSH login to ${where}`,
    options.timeoutMs,
    (signal) =>
      new Promise<SshConnection>((resolve, reject) => {
        const client = new Client();
        let offered: string | undefined;
        let keyProblem: HostKeyError | undefined;
        let ready = false;
        signal.addEventListener('abort', () => client.destroy(), { once: true });
        client.on('ready', () => {
          ready = true;
          resolve({ client, fingerprint: offered ?? '' });
        });
        client.on('error', (err: Error) => {
          if (ready) return;
          client.destroy();
          reject(keyProblem ?? err);
        });
        client.on('close', () => {
          if (!ready)
            reject(keyProblem ?? Object.assign(new Error(`${where} closed the SSH connection during login`), { code: 'SSH_CLOSED' }));
        });
        client.on('keyboard-interactive', (_name, _instructions, _lang, prompts, finish) =>
          finish(prompts.map(() => login.password ?? '')),
        );
        const config: ConnectConfig = {
          host: fromConfig.hostName ?? endpoint.host,
          port: endpoint.port,
          username: endpoint.user,
          readyTimeout: options.timeoutMs,
          keepaliveInterval: 15_000,
          hostVerifier: (key: Buffer) => {
            offered = sshFingerprint(key);
            keyProblem = checkHostKey(`${endpoint.host}:${endpoint.port}`, endpoint.hostKeyFingerprint, offered, options.advice);
            return !keyProblem;
          },
          ...(login.privateKey ? { privateKey: login.privateKey, passphrase: login.passphrase } : {}),
          ...(login.password !== undefined ? { password: login.password, tryKeyboard: true } : {}),
          ...(login.agent && !login.privateKey ? { agent: login.agent } : {}),
        };
        client.connect(config);
      }),
    options.signal,
  );
}

/** Reads a server's host key fingerprint without logging in, for the trust prompt before pinning. */
export async function probeHostKey(host: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<string> {
  const noAdvice: PinAdvice = { pin: '', repin: '' };
  try {
    const { client } = await connectSsh({ host, port, user: 'vdvs-probe' }, {}, { timeoutMs, signal, advice: noAdvice });
    client.end();
  } catch (err) {
    if (err instanceof HostKeyError && err.code === 'HOST_KEY_UNKNOWN') return err.fingerprint;
    throw err;
  }
  throw new Error(`${host}:${port} accepted a login with no key pinned`);
}
