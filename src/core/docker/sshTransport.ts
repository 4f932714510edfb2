import { Agent } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Client } from 'ssh2';
import { DockerError } from './dockerErrors';
import { connectSsh, SshEndpoint, SshLogin } from '../ssh/connect';
import { PinAdvice } from '../ssh/hostKey';

/** How a Docker host's SSH key is pinned: when the host is added. */
export const DOCKER_PIN_ADVICE: PinAdvice = {
  pin: 'Add the host again to confirm and pin its key.',
  repin: 'remove the Docker host and add it again to pin it',
};

/** Where and how to reach a Docker host over SSH: a private key, else the ssh agent. */
export interface DockerSshTarget extends SshEndpoint {
  login: Pick<SshLogin, 'privateKey' | 'passphrase' | 'agent'>;
  timeoutMs: number;
}

/**
 * An http.Agent whose "sockets" are `docker system dial-stdio` channels on ONE SSH connection, so
 * every API call costs a channel open instead of a new SSH handshake (docker-modem's own ssh://
 * support connects per call and cannot pin the host key). The host key must match the pinned
 * fingerprint, else the connection fails with HostKeyError.
 */
export class SshDockerAgent extends Agent {
  private client?: Promise<Client>;

  constructor(private readonly target: DockerSshTarget) {
    // keepAlive: a dial-stdio channel is a plain byte pipe to the daemon, so HTTP keep-alive reuses it
    // and a call costs one round trip instead of starting `docker` on the far side again.
    super({ keepAlive: true, maxSockets: 4, keepAliveMsecs: 10_000 });
    // Node's Agent accepts an async createConnection(options, callback).
    (this as unknown as { createConnection: unknown }).createConnection = (
      _options: unknown,
      callback: (err: Error | null, socket?: Duplex) => void,
    ) => {
      this.openChannel().then(
        (s) => callback(null, s),
        (err: Error) => callback(err),
      );
    };
  }

  override destroy(): void {
    const pending = this.client;
    this.client = undefined;
    pending?.then(
      (c) => c.end(),
      () => undefined,
    );
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
    this.client ??= connectSsh(this.target, this.target.login, { timeoutMs: this.target.timeoutMs, advice: DOCKER_PIN_ADVICE }).then(
      ({ client }) => {
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
