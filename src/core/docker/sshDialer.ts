import { createHash } from 'node:crypto';
import { Agent } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Client, ConnectConfig } from 'ssh2';
import { DockerError, SshHostKeyError } from './dockerErrors';

/** Where and how to reach a Docker host over SSH. */
export interface SshTarget {
  host: string;
  port: number;
  user: string;
  /** The private key's contents; the ssh agent (`agentSocket`) is used when absent. */
  privateKey?: Buffer;
  passphrase?: string;
  agentSocket?: string;
  /** "SHA256:…" of the host key the user accepted; without it every connection is refused. */
  pinnedFingerprint?: string;
  readyTimeoutMs: number;
}

/** OpenSSH-style fingerprint of a raw host key: "SHA256:" + unpadded base64 of its SHA-256. */
export function sshFingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/**
 * An http.Agent whose "sockets" are `docker system dial-stdio` channels on ONE SSH connection, so
 * every API call costs a channel open instead of a new SSH handshake (docker-modem's own ssh://
 * support connects per call and cannot pin the host key). The host key must match the pinned
 * fingerprint, else the connection fails with SshHostKeyError.
 */
export class SshDockerAgent extends Agent {
  private client?: Promise<Client>;

  constructor(private readonly target: SshTarget) {
    // keepAlive: a dial-stdio channel is a plain byte pipe to the daemon, so HTTP keep-alive reuses it
    // and a call costs one round trip instead of starting `docker` on the far side again.
    super({ keepAlive: true, maxSockets: 4, keepAliveMsecs: 10_000 });
    // Node's Agent accepts an async createConnection(options, callback).
    (this as unknown as { createConnection: unknown }).createConnection = (_options: unknown, callback: (err: Error | null, socket?: Duplex) => void) => {
      this.openChannel().then((s) => callback(null, s), (err: Error) => callback(err));
    };
  }

  override destroy(): void {
    const pending = this.client;
    this.client = undefined;
    pending?.then((c) => c.end(), () => undefined);
    super.destroy();
  }

  private async openChannel(): Promise<Duplex> {
    const client = await this.connected();
    return new Promise<Duplex>((resolve, reject) => {
      client.exec('docker system dial-stdio', (err, channel) => {
        if (err) {
          // The connection died under us: forget it so the next call reconnects.
          this.client = undefined;
          reject(err);
          return;
        }
        let stderr = '';
        channel.stderr.on('data', (d: Buffer) => {
          stderr = (stderr + d.toString('utf8')).slice(-2000);
        });
        channel.on('exit', (code: number | null) => {
          if (code) {
            (channel as Duplex).destroy(
              new DockerError(
                `\`docker system dial-stdio\` failed on ${this.target.host} (exit ${code}): ${stderr.trim() || 'no output'}.`,
                'The SSH user needs the docker CLI (18.09 or later) on its PATH and access to the Docker socket there.',
                'SSH_REMOTE_DOCKER',
              ),
            );
          }
        });
        // What http.Agent calls on keep-alive sockets; an SSH channel has no TCP options to set.
        const socketLike = channel as unknown as Record<string, unknown>;
        for (const method of ['setKeepAlive', 'setNoDelay', 'setTimeout', 'ref', 'unref']) {
          if (typeof socketLike[method] !== 'function') socketLike[method] = () => channel;
        }
        resolve(channel);
      });
    });
  }

  private connected(): Promise<Client> {
    this.client ??= connectSsh(this.target).then(
      (client) => {
        const forget = () => {
          if (this.client === current) this.client = undefined;
        };
        client.on('close', forget).on('error', forget);
        return client;
      },
      (err: unknown) => {
        this.client = undefined;
        throw err;
      },
    );
    const current = this.client;
    return current;
  }
}

/** Opens an SSH connection whose host key matches the pinned fingerprint. */
export async function connectSsh(target: SshTarget): Promise<Client> {
  const { Client } = await import('ssh2');
  return new Promise<Client>((resolve, reject) => {
    const client = new Client();
    let keyError: SshHostKeyError | undefined;
    const config: ConnectConfig = {
      host: target.host,
      port: target.port,
      username: target.user,
      readyTimeout: target.readyTimeoutMs,
      keepaliveInterval: 15_000,
      hostVerifier: (key: Buffer) => {
        const fingerprint = sshFingerprint(key);
        if (fingerprint === target.pinnedFingerprint) return true;
        keyError = new SshHostKeyError(`${target.host}:${target.port}`, fingerprint, target.pinnedFingerprint);
        return false;
      },
      ...(target.privateKey ? { privateKey: target.privateKey, passphrase: target.passphrase } : { agent: target.agentSocket }),
    };
    client
      .once('ready', () => resolve(client))
      .once('error', (err) => {
        client.end();
        reject(keyError ?? err);
      })
      .connect(config);
  });
}

/**
 * Reads the host key fingerprint of an SSH server without logging in, for the trust prompt of
 * Add Docker Host.
 */
export async function probeSshHostKey(host: string, port: number, timeoutMs: number): Promise<string> {
  try {
    const client = await connectSsh({ host, port, user: 'vdvs-probe', readyTimeoutMs: timeoutMs, pinnedFingerprint: 'SHA256:none' });
    client.end();
  } catch (err) {
    if (err instanceof SshHostKeyError) return err.fingerprint;
    throw err;
  }
  throw new Error(`${host}:${port} accepted an impossible host key`);
}
