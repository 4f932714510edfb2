import { createHash } from 'node:crypto';
import { UserError } from '../errors';

/** OpenSSH's fingerprint of a host key blob: "SHA256:" + unpadded base64 of its SHA-256. */
export function sshFingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** First contact: nothing is pinned yet. The UI shows `fingerprint`, and pins it if the user trusts it. */
export class HostKeyUnknownError extends UserError {
  constructor(
    readonly host: string,
    readonly fingerprint: string,
  ) {
    super(`The SSH host key of ${host} is not trusted yet (${fingerprint}).`, 'Confirm the fingerprint in "Configure SSH…" to pin it.', 'HOST_KEY_UNKNOWN');
  }
}

export function hostKeyChanged(host: string, pinned: string, offered: string): UserError {
  return new UserError(
    `The SSH host key of ${host} has changed: pinned ${pinned}, but the host now offers ${offered}. The connection was refused.`,
    'If the host was reinstalled or its keys regenerated, check the new fingerprint on its console (for example `ssh-keygen -lf /etc/ssh/ssh_host_rsa_key.pub`) and run "Configure SSH…" again to pin it; otherwise someone may be intercepting the connection.',
    'HOST_KEY_CHANGED',
  );
}
