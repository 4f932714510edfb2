import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../errors';
import { formatEndpoint, parseEndpoint } from './endpoint';

/** A docker context (`docker context ls`) that can become a Docker host of the extension. */
export interface DockerContextCandidate {
  name: string;
  description?: string;
  /** Canonical endpoint (unix://, tcp://, ssh://). */
  endpoint: string;
  /** The context's TLS folder (ca.pem, cert.pem, key.pem) when it has one. */
  tlsCertPath?: string;
  /**
   * The context asked to skip TLS verification. The extension never does that silently: the host is
   * imported with verification on, and the UI says so.
   */
  skipTlsVerify: boolean;
  /** This is the CLI's current context (config.json `currentContext`). */
  current: boolean;
}

/** A context that could not be imported, and why. */
export interface SkippedContext {
  name: string;
  reason: string;
}

export interface ContextScan {
  contexts: DockerContextCandidate[];
  skipped: SkippedContext[];
  /** The docker config folder that was read. */
  configDir: string;
}

/** Shape of contexts/meta/<sha256(name)>/meta.json as the docker CLI writes it. */
interface ContextMeta {
  Name?: unknown;
  Metadata?: { Description?: unknown };
  Endpoints?: { docker?: { Host?: unknown; SkipTLSVerify?: unknown } };
}

/** `$DOCKER_CONFIG`, else ~/.docker, as the docker CLI resolves it. */
export function dockerConfigDir(env: NodeJS.ProcessEnv, homeDir: string): string {
  return env.DOCKER_CONFIG?.trim() || join(homeDir, '.docker');
}

/**
 * Reads the docker CLI's contexts from `configDir`: meta.json for name and endpoint, tls/<id>/docker
 * for client certificates. The built-in `default` context has no files (it is DOCKER_HOST or the local
 * socket) and so is not listed. Contexts that cannot be used are returned in `skipped` with the reason.
 */
export async function scanDockerContexts(configDir: string): Promise<ContextScan> {
  const metaRoot = join(configDir, 'contexts', 'meta');
  const scan: ContextScan = { contexts: [], skipped: [], configDir };
  let ids: string[];
  try {
    ids = await readdir(metaRoot);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return scan;
    throw err;
  }
  const current = await currentContextName(configDir);
  for (const id of ids.sort()) {
    const file = join(metaRoot, id, 'meta.json');
    let meta: ContextMeta;
    try {
      meta = JSON.parse(await readFile(file, 'utf8')) as ContextMeta;
    } catch (err) {
      scan.skipped.push({ name: id, reason: `cannot read ${file}: ${errorMessage(err)}` });
      continue;
    }
    const name = typeof meta.Name === 'string' ? meta.Name : id;
    const docker = meta.Endpoints?.docker;
    if (typeof docker?.Host !== 'string' || !docker.Host) {
      scan.skipped.push({ name, reason: 'it has no docker endpoint (a Kubernetes-only context?)' });
      continue;
    }
    let endpoint: string;
    try {
      endpoint = formatEndpoint(parseEndpoint(docker.Host));
    } catch (err) {
      scan.skipped.push({ name, reason: errorMessage(err) });
      continue;
    }
    const tlsDir = join(configDir, 'contexts', 'tls', contextId(name), 'docker');
    const description = meta.Metadata?.Description;
    scan.contexts.push({
      name,
      endpoint,
      ...(typeof description === 'string' && description ? { description } : {}),
      ...(endpoint.startsWith('tcp://') && existsSync(join(tlsDir, 'cert.pem')) ? { tlsCertPath: tlsDir } : {}),
      skipTlsVerify: docker.SkipTLSVerify === true,
      current: name === current,
    });
  }
  return scan;
}

/** The folder name the docker CLI uses for a context: hex SHA-256 of its name. */
export function contextId(name: string): string {
  return createHash('sha256').update(name).digest('hex');
}

async function currentContextName(configDir: string): Promise<string | undefined> {
  try {
    const config = JSON.parse(await readFile(join(configDir, 'config.json'), 'utf8')) as { currentContext?: unknown };
    return typeof config.currentContext === 'string' ? config.currentContext : undefined;
  } catch {
    // No or unreadable config.json: the CLI then uses "default", which is not a file context.
    return undefined;
  }
}
