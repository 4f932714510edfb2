import { CancelledError } from '../abort';
import { UserError } from '../errors';

/**
 * Codes of the Docker failures the UI tells apart. Each comes with its own message and hint, so
 * "daemon down", "no permission on the socket" and "plugin in use" never look alike.
 */
export type DockerErrorCode =
  | 'DAEMON_UNREACHABLE'
  | 'SOCKET_PERMISSION'
  | 'TLS_FAILED'
  | 'TLS_FILES'
  | 'SSH_AUTH'
  | 'SSH_REMOTE_DOCKER'
  | 'PLUGIN_NOT_INSTALLED'
  | 'PLUGIN_DISABLED'
  | 'PLUGIN_IN_USE'
  | 'VOLUME_IN_USE'
  | 'PLUGIN_HAS_VOLUMES'
  | 'PLUGIN_EXISTS'
  | 'PLUGIN_IMAGE_NOT_FOUND'
  | 'PRIVILEGES_REFUSED'
  | 'IMAGE_NOT_FOUND'
  | 'VIB_MISSING'
  | 'ESX_HOSTD_DOWN'
  | 'NOT_FOUND'
  | 'DOCKER_API'
  | 'BAD_ENDPOINT'
  | 'TIMEOUT';

declare module '../errors' {
  interface ErrorCodes extends Record<DockerErrorCode, true> {}
}

/** A docker failure with one of the codes above. */
export class DockerError extends UserError {
  constructor(
    message: string,
    hint: string | undefined,
    override readonly code: DockerErrorCode,
    options?: { cause?: unknown },
  ) {
    super(message, hint, code, options);
  }
}

/** What dockerode / docker-modem put on a failed HTTP call. */
interface ModemError {
  code?: string;
  errno?: number;
  syscall?: string;
  statusCode?: number;
  json?: unknown;
  level?: string;
  message?: string;
}

/** The daemon's own message of a failed API call ("plugin vsphere:latest is in use"), if any. */
export function daemonMessage(err: unknown): string | undefined {
  if (err instanceof UserError) return err.cause === undefined ? undefined : daemonMessage(err.cause);
  const json = (err as ModemError | undefined)?.json;
  if (json && typeof json === 'object' && typeof (json as { message?: unknown }).message === 'string') {
    return (json as { message: string }).message;
  }
  if (typeof json === 'string' && json.trim()) return json.trim();
  if (Buffer.isBuffer(json) && json.length) return json.toString('utf8').trim();
  // Streamed calls carry no json: docker-modem's text is "(HTTP code 500) unexpected - <daemon message> ".
  const { statusCode, message } = (err ?? {}) as ModemError;
  if (statusCode && message) return message.replace(/^\(HTTP code \d+\)[^-]*- /, '').trim() || undefined;
  return undefined;
}

export function statusCode(err: unknown): number | undefined {
  if (err instanceof UserError) return err.cause === undefined ? undefined : statusCode(err.cause);
  return (err as ModemError | undefined)?.statusCode;
}

/**
 * Turns a transport failure (socket, TLS, SSH) into a DockerError naming the host; API errors
 * (with an HTTP status) become DOCKER_API errors carrying the daemon's message. UserErrors and
 * cancellations pass through unchanged.
 */
export function explainDockerError(err: unknown, where: string, what: string): Error {
  if (err instanceof UserError || err instanceof CancelledError) return err;
  const e = (err ?? {}) as ModemError;
  if (e.statusCode) {
    const msg = daemonMessage(err) ?? `HTTP ${e.statusCode}`;
    return (
      explainPluginMessage(msg, what, err) ??
      new DockerError(`${what} failed on ${where}: ${msg}`, undefined, e.statusCode === 404 ? 'NOT_FOUND' : 'DOCKER_API', { cause: err })
    );
  }
  const code = e.code ?? '';
  const message = e.message ?? String(err);
  if (code === 'EACCES' || code === 'EPERM') {
    return new DockerError(
      `Permission denied on the Docker socket of ${where}.`,
      'Your user may not use the socket: add it to the docker group (sudo usermod -aG docker $USER, then log in again), or connect over ssh:// or tcp:// with TLS.',
      'SOCKET_PERMISSION',
      { cause: err },
    );
  }
  if (
    ['ECONNREFUSED', 'ENOENT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE'].includes(
      code,
    ) ||
    /socket hang up/i.test(message)
  ) {
    return new DockerError(
      `The Docker daemon of ${where} is not reachable (${code || message}).`,
      code === 'ENOENT'
        ? 'The socket file does not exist: is dockerd running on this machine?'
        : 'Check that dockerd is running and that the endpoint, port and firewall are right.',
      'DAEMON_UNREACHABLE',
      { cause: err },
    );
  }
  if (e.level === 'client-authentication') {
    return new DockerError(
      `SSH login to ${where} was refused.`,
      'Check the user, the private key (and its passphrase) or that the ssh agent holds a key the host accepts.',
      'SSH_AUTH',
      { cause: err },
    );
  }
  if (e.level === 'client-timeout') {
    return new DockerError(
      `SSH connection to ${where} timed out.`,
      'Check the host name, the port and the network.',
      'DAEMON_UNREACHABLE',
      { cause: err },
    );
  }
  if (/CERT|SSL|TLS|self.signed|certificate|EPROTO/i.test(`${code} ${message}`)) {
    return new DockerError(
      `TLS with ${where} failed: ${message}.`,
      "The server certificate must be signed by ca.pem of the host's TLS folder and name the host; the daemon must accept cert.pem/key.pem (tlsverify).",
      'TLS_FAILED',
      { cause: err },
    );
  }
  return new DockerError(`${what} failed on ${where}: ${message}`, undefined, 'DOCKER_API', { cause: err });
}

/**
 * Messages of the vsphere plugin and of plugin management that deserve their own explanation.
 * Returns undefined for anything else.
 */
export function explainPluginMessage(msg: string, what: string, cause?: unknown): DockerError | undefined {
  if (/errno=104|connection reset by peer/i.test(msg)) {
    return new DockerError(
      `${what} failed: the vsphere plugin cannot reach the vDVS service on ESXi (${msg}).`,
      'The VIB esx-vmdkops-service is missing or stopped on the ESXi host running this Docker VM: install it (vDVS: Install vDVS VIB) and restart hostd (vDVS issue #602).',
      'VIB_MISSING',
      { cause },
    );
  }
  if (/Host Agent is running|presently unavailable/i.test(msg)) {
    return new DockerError(
      `${what} failed: the ESXi host agent (hostd) is not answering (${msg}).`,
      'hostd may be restarting (after a VIB install it takes a minute); try again shortly, or check /var/log/vmware/vmdk_ops.log on ESXi.',
      'ESX_HOSTD_DOWN',
      { cause },
    );
  }
  if (/plugin.*\bin use\b/i.test(msg)) {
    return new DockerError(
      `${what} failed: the plugin is in use (${msg}).`,
      'Stop and remove the containers using its volumes, or disable it with force.',
      'PLUGIN_IN_USE',
      { cause },
    );
  }
  if (/is disabled/i.test(msg)) {
    return new DockerError(`${what} failed: the plugin is disabled.`, 'Enable it first (vDVS: Enable vSphere Plugin).', 'PLUGIN_DISABLED', {
      cause,
    });
  }
  if (/already exists/i.test(msg) && /plugin/i.test(msg)) {
    return new DockerError(
      `${what} failed: ${msg}.`,
      'A plugin with this alias is installed already: upgrade it instead of installing again.',
      'PLUGIN_EXISTS',
      { cause },
    );
  }
  return undefined;
}
