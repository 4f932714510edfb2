import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { withDeadline } from '../abort';
import { readCaBundle, systemAndBundleCas } from '../caBundle';
import { DockerHostConfig } from '../config';
import { ownAgent } from '../ownAgent';
import { ApiRequest, apiRequest, ApiTransport, keepAliveAgent } from './apiTransport';
import { DockerError, explainDockerError } from './dockerErrors';
import { DockerEndpoint, formatEndpoint, parseEndpoint, tcpPort } from './endpoint';
import { SshDockerAgent } from './sshTransport';

/** Secrets of a Docker host, from SecretStorage (extension) or the CLI's prompt. */
export interface DockerSecrets {
  /** Passphrase of the ssh private key (sshKeyPath). */
  sshPassphrase?: string;
}

export interface ConnectOptions {
  /** Deadline of each API call (vdvs.requestTimeoutSeconds). */
  timeoutMs: number;
  secrets?: DockerSecrets;
  /** Extra CA certificates (PEM file, vdvs.tls.caBundlePath) trusted for tcp+TLS besides ca.pem. */
  caBundlePath?: string;
  /** SSH agent socket for ssh:// hosts without a key; default $SSH_AUTH_SOCK. */
  sshAgentSocket?: string;
  /** The alias the vDVS plugin is installed under on this host (vdvs.plugin.alias, the CLI's pluginAlias); read it with pluginAliasOf(). */
  pluginAlias?: string;
}

/** Per-call overrides: a longer deadline for slow operations, the caller's cancellation. */
export interface CallOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * A raw Engine API request (the hot paths, and the calls dockerode gets wrong: see DESIGN.md
 * "dockerode 5 quirks"): path without query, e.g. `/plugins/vsphere:latest/disable`; `ok` are the
 * success statuses (default 200, 201, 204); `stream` resolves with the response stream instead of
 * the parsed body.
 */
export type DialRequest = ApiRequest;

/**
 * One Docker host's Engine API, ready to use: every call runs under a deadline and the caller's
 * AbortSignal, and failures come out as DockerError with a specific code (unreachable, permission,
 * TLS, SSH, …). No vscode imports: used by the views, the Volumes view, backups and the CLI.
 *
 * @example
 *   const conn = await DockerConnection.open(host, { timeoutMs: 10_000 });
 *   try { const vols = await listVolumes(conn, { driver: 'vsphere' }); } finally { conn.close(); }
 */
export class DockerConnection {
  private constructor(
    readonly host: DockerHostConfig,
    readonly endpoint: DockerEndpoint,
    /** The dockerode client, for calls not wrapped here (always pass `abortSignal`). */
    readonly docker: Dockerode,
    readonly timeoutMs: number,
    private readonly transport: ApiTransport,
    readonly pluginAlias: string | undefined,
  ) {}

  /** Builds the client for `host`. Reads TLS files now (so a missing cert.pem is reported early); opens nothing yet. */
  static async open(host: DockerHostConfig, options: ConnectOptions): Promise<DockerConnection> {
    const endpoint = parseEndpoint(host.endpoint);
    const { default: Docker } = await import('dockerode');
    // Every field is given explicitly: docker-modem merges DOCKER_HOST/DOCKER_CERT_PATH from the
    // environment under our options, which must not redirect a configured host.
    const base: Dockerode.DockerOptions = {
      socketPath: undefined,
      host: undefined,
      port: undefined,
      ca: undefined,
      cert: undefined,
      key: undefined,
    };
    let opts: Dockerode.DockerOptions & { agent?: unknown; pathPrefix?: string };
    let transport: ApiTransport;
    switch (endpoint.kind) {
      case 'unix':
        opts = { ...base, socketPath: endpoint.socketPath };
        transport = { agent: keepAliveAgent(), socketPath: endpoint.socketPath };
        break;
      case 'tcp': {
        const tls = host.tlsCertPath ? await readTlsFolder(host.tlsCertPath, options.caBundlePath) : undefined;
        const port = tcpPort(endpoint, !!tls);
        opts = { ...base, host: endpoint.host, port, protocol: tls ? 'https' : 'http', pathPrefix: '/', ...tls };
        transport = { agent: keepAliveAgent(tls), tls, host: endpoint.host, port };
        break;
      }
      case 'ssh': {
        const privateKey = host.sshKeyPath ? await readKey(host.sshKeyPath) : undefined;
        const agentSocket = options.sshAgentSocket ?? process.env.SSH_AUTH_SOCK;
        if (!privateKey && !agentSocket) {
          throw new DockerError(
            `No way to log in to ${formatEndpoint(endpoint)}: no private key is set and no ssh agent is running.`,
            'Set a private key for the host, or start ssh-agent (SSH_AUTH_SOCK).',
            'SSH_AUTH',
          );
        }
        const agent = new SshDockerAgent({
          host: endpoint.host,
          port: endpoint.port,
          user: endpoint.user ?? userInfo().username,
          login: privateKey ? { privateKey, passphrase: options.secrets?.sshPassphrase } : { agent: agentSocket },
          hostKeyFingerprint: host.sshHostKeyFingerprint,
          timeoutMs: options.timeoutMs,
        });
        // Plain HTTP over the agent's dial-stdio channels. No host for docker-modem: it then sends the
        // ownAgent marker as socketPath, so VS Code's proxy support keeps the agent (see ownAgent.ts).
        opts = { ...base, protocol: 'http', ...ownAgent(agent) };
        transport = { agent, host: endpoint.host, port: endpoint.port };
        break;
      }
    }
    let docker: Dockerode;
    try {
      docker = new Docker(opts);
    } catch (err) {
      // docker-modem parses DOCKER_HOST in its constructor and throws on a malformed one.
      throw new DockerError(
        `Cannot set up the Docker client: ${(err as Error).message}.`,
        'Fix or unset the DOCKER_HOST environment variable of VS Code.',
        'DOCKER_API',
      );
    }
    return new DockerConnection(host, endpoint, docker, options.timeoutMs, transport, options.pluginAlias);
  }

  /** "name (endpoint)": how messages name this host. */
  get label(): string {
    const endpoint = formatEndpoint(this.endpoint);
    return this.host.name && this.host.name !== endpoint ? `${this.host.name} (${endpoint})` : endpoint;
  }

  /**
   * Runs one API call under the deadline; `work` must hand `signal` to dockerode (`abortSignal`).
   * Failures are explained (DockerError) with `what` in the message.
   */
  async call<T>(what: string, work: (signal: AbortSignal) => Promise<T>, options: CallOptions = {}): Promise<T> {
    try {
      return await withDeadline(`${what} on ${this.label}`, options.timeoutMs ?? this.timeoutMs, work, options.signal);
    } catch (err) {
      throw explainDockerError(err, this.label, what);
    }
  }

  /** A raw Engine API call over the connection's keep-alive agent, under the same deadline and error handling. */
  dial<T>(what: string, req: DialRequest, options: CallOptions = {}): Promise<T> {
    return this.call(what, (signal) => apiRequest<T>(this.transport, req, signal), options);
  }

  /** Closes the pooled connections (and the SSH connection of ssh:// hosts). */
  close(): void {
    this.transport.agent.destroy();
  }

  /** Opens a connection for one piece of work and closes it afterwards (the CLI; the extension pools its own). */
  static async using<T>(host: DockerHostConfig, options: ConnectOptions, work: (conn: DockerConnection) => Promise<T>): Promise<T> {
    const conn = await DockerConnection.open(host, options);
    try {
      return await work(conn);
    } finally {
      conn.close();
    }
  }
}

async function readTlsFolder(dir: string, caBundlePath?: string): Promise<{ ca?: Buffer[]; cert: Buffer; key: Buffer }> {
  const read = async (name: string, required: boolean): Promise<Buffer | undefined> => {
    try {
      return await readFile(join(dir, name));
    } catch (err) {
      if (!required && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new DockerError(
        `Cannot read ${join(dir, name)}: ${(err as Error).message}.`,
        'The TLS folder must hold cert.pem and key.pem (and ca.pem for a private CA), as `docker --tlsverify` expects.',
        'TLS_FILES',
      );
    }
  };
  const [ca, cert, key] = await Promise.all([read('ca.pem', false), read('cert.pem', true), read('key.pem', true)]);
  // Like `docker --tlsverify`: ca.pem replaces the system store; without it the system store stays trusted.
  const cas = ca ? [ca, ...(caBundlePath ? [readCaBundle(caBundlePath)] : [])] : systemAndBundleCas(caBundlePath);
  return { ...(cas ? { ca: cas } : {}), cert: cert!, key: key! };
}

async function readKey(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new DockerError(
      `Cannot read the SSH private key ${path}: ${(err as Error).message}.`,
      'Pick an existing key file (e.g. ~/.ssh/id_ed25519), or leave it empty to use the ssh agent.',
      'SSH_AUTH',
    );
  }
}
