import { createHash } from 'node:crypto';
import { UserError } from '../errors';

/** OpenSSH's fingerprint of a host key blob: "SHA256:" + unpadded base64 of its SHA-256. */
export function sshFingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

export type HostKeyErrorCode = 'HOST_KEY_UNKNOWN' | 'HOST_KEY_CHANGED';

declare module '../errors' {
  interface ErrorCodes extends Record<HostKeyErrorCode, true> {}
}

/** How the user pins a key for this kind of host, in words for the hints (ESXi: "Configure SSH…", Docker: add the host). */
export interface PinAdvice {
  /** First contact: how to confirm and pin the offered key. */
  pin: string;
  /** After a change: how to pin the new key once it is checked. */
  repin: string;
}

/**
 * The host offered a key that is not the pinned one (or nothing is pinned yet). Carries the offered
 * fingerprint for the trust prompt; the connection was refused before any credential was sent.
 */
export class HostKeyError extends UserError {
  private constructor(
    message: string,
    hint: string,
    override readonly code: HostKeyErrorCode,
    readonly host: string,
    readonly fingerprint: string,
    readonly pinned?: string,
  ) {
    super(message, hint, code);
  }

  static unknown(host: string, fingerprint: string, advice: PinAdvice): HostKeyError {
    return new HostKeyError(
      `The SSH host key of ${host} is not trusted yet (${fingerprint}).`,
      advice.pin,
      'HOST_KEY_UNKNOWN',
      host,
      fingerprint,
    );
  }

  static changed(host: string, pinned: string, offered: string, advice: PinAdvice): HostKeyError {
    return new HostKeyError(
      `The SSH host key of ${host} has changed: pinned ${pinned}, but the host now offers ${offered}. The connection was refused.`,
      `If the host was reinstalled or its keys regenerated, check the new fingerprint on its console (for example \`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub\`) and ${advice.repin}; otherwise someone may be intercepting the connection.`,
      'HOST_KEY_CHANGED',
      host,
      offered,
      pinned,
    );
  }
}

/** The problem with an offered key, or undefined when it is the pinned one. */
export function checkHostKey(host: string, pinned: string | undefined, offered: string, advice: PinAdvice): HostKeyError | undefined {
  if (!pinned) return HostKeyError.unknown(host, offered, advice);
  return pinned === offered ? undefined : HostKeyError.changed(host, pinned, offered, advice);
}
