import { join } from 'node:path';
import { UserError } from '../errors';

/** Where a Docker Engine API listens, as the docker CLI understands `-H` / `DOCKER_HOST`. */
export type DockerEndpoint =
  | { kind: 'unix'; socketPath: string }
  /** `port` absent: 2376 with TLS, 2375 without, as the docker CLI does. */
  | { kind: 'tcp'; host: string; port?: number }
  | { kind: 'ssh'; host: string; port: number; user?: string };

export const DEFAULT_SOCKET = '/var/run/docker.sock';
export const DEFAULT_ENDPOINT = `unix://${DEFAULT_SOCKET}`;

/**
 * Parses an endpoint the way the docker CLI accepts it: `unix:///path`, `/path`, `tcp://host[:port]`,
 * `host:port`, `ssh://[user@]host[:port]`. Anything else is a UserError naming what is wrong, so a
 * typo in the Add Host box or in DOCKER_HOST gets a specific message instead of a socket error later.
 */
export function parseEndpoint(text: string): DockerEndpoint {
  const raw = text.trim();
  if (!raw) throw badEndpoint(text, 'it is empty');
  if (raw.startsWith('/')) return { kind: 'unix', socketPath: raw };
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `tcp://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw badEndpoint(text, 'it is not a URL');
  }
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  switch (scheme) {
    case 'unix': {
      // unix:///run/docker.sock: URL puts the path in pathname; unix://run/x would put "run" in host.
      if (url.host) throw badEndpoint(text, 'a unix socket path must be absolute (unix:///path/to/docker.sock)');
      const socketPath = decodeURIComponent(url.pathname);
      if (!socketPath || socketPath === '/') throw badEndpoint(text, 'the socket path is missing');
      return { kind: 'unix', socketPath };
    }
    case 'tcp': {
      if (!url.hostname) throw badEndpoint(text, 'the host name is missing');
      if (url.pathname && url.pathname !== '/') throw badEndpoint(text, `a tcp endpoint has no path ("${url.pathname}")`);
      if (url.username || url.password) throw badEndpoint(text, 'a tcp endpoint takes no user name; use TLS client certificates');
      return { kind: 'tcp', host: stripBrackets(url.hostname), ...(url.port ? { port: Number(url.port) } : {}) };
    }
    case 'ssh': {
      if (!url.hostname) throw badEndpoint(text, 'the host name is missing');
      // The docker CLI refuses a path after an ssh host too ("extra path after the host").
      if (url.pathname && url.pathname !== '/') throw badEndpoint(text, `an ssh endpoint has no path ("${url.pathname}")`);
      if (url.password) throw badEndpoint(text, 'put no password in the endpoint; use a key or the ssh agent');
      return {
        kind: 'ssh',
        host: stripBrackets(url.hostname),
        port: url.port ? Number(url.port) : 22,
        ...(url.username ? { user: decodeURIComponent(url.username) } : {}),
      };
    }
    case 'npipe':
      throw badEndpoint(text, 'Windows named pipes (npipe://) are not supported; use tcp:// or ssh://');
    case 'http':
    case 'https':
      throw badEndpoint(text, `use tcp://${url.host} (with TLS certificates for https)`);
    default:
      throw badEndpoint(text, `the scheme "${scheme}://" is not one of unix://, tcp://, ssh://`);
  }
}

/** The endpoint written back in the canonical form shown in the tree and used in CLI lines. */
export function formatEndpoint(endpoint: DockerEndpoint): string {
  switch (endpoint.kind) {
    case 'unix':
      return `unix://${endpoint.socketPath}`;
    case 'tcp':
      return `tcp://${bracket(endpoint.host)}${endpoint.port ? `:${endpoint.port}` : ''}`;
    case 'ssh':
      return `ssh://${endpoint.user ? `${endpoint.user}@` : ''}${bracket(endpoint.host)}${endpoint.port === 22 ? '' : `:${endpoint.port}`}`;
  }
}

/** The TCP port the docker CLI would use for this endpoint. */
export function tcpPort(endpoint: { port?: number }, tls: boolean): number {
  return endpoint.port ?? (tls ? 2376 : 2375);
}

/**
 * What DOCKER_HOST (and DOCKER_CERT_PATH / DOCKER_TLS_VERIFY) in `env` describe, for the
 * "use DOCKER_HOST" choice of Add Host; undefined when DOCKER_HOST is unset.
 */
export function endpointFromEnv(env: NodeJS.ProcessEnv, homeDir: string): { endpoint: string; tlsCertPath?: string } | undefined {
  const host = env.DOCKER_HOST?.trim();
  if (!host) return undefined;
  const endpoint = formatEndpoint(parseEndpoint(host));
  if (!endpoint.startsWith('tcp://')) return { endpoint };
  // The docker CLI: DOCKER_TLS_VERIFY=1 without DOCKER_CERT_PATH means ~/.docker/{ca,cert,key}.pem.
  const certPath = env.DOCKER_CERT_PATH?.trim() || (env.DOCKER_TLS_VERIFY === '1' ? join(homeDir, '.docker') : undefined);
  return certPath ? { endpoint, tlsCertPath: certPath } : { endpoint };
}

function badEndpoint(text: string, why: string): UserError {
  return new UserError(
    `"${text.trim()}" is not a Docker endpoint: ${why}.`,
    'Examples: unix:///var/run/docker.sock, tcp://10.0.0.5:2376, ssh://docker@10.0.0.5.',
    'BAD_ENDPOINT',
  );
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function bracket(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
