import { EsxiHostConfig } from '../config';
import { VsphereSession } from './session';

export interface ConnectSettings {
  timeoutMs: number;
  caBundlePath?: string;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

/**
 * Logs in to a configured ESXi host or vCenter (the extension and the CLI both start here). The
 * config's pinned thumbprint is enforced; without one only CA-verified certificates are accepted and
 * an UnknownCertificateError carries the thumbprint to offer.
 */
export function connectToHost(host: EsxiHostConfig, password: string, settings: ConnectSettings): Promise<VsphereSession> {
  return VsphereSession.open(
    {
      url: host.url,
      user: host.user,
      password,
      thumbprint: host.thumbprint,
      caBundlePath: settings.caBundlePath || undefined,
      timeoutMs: settings.timeoutMs,
      log: settings.log,
    },
    settings.signal,
  );
}
