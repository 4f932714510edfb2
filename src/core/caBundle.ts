import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { UserError } from './errors';

/** The PEM file of the vdvs.tls.caBundlePath setting; an unreadable one is named, not skipped. */
export function readCaBundle(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new UserError(
      `Cannot read the CA bundle ${path}: ${(err as Error).message}.`,
      'Fix or clear the vdvs.tls.caBundlePath setting.',
      'CA_BUNDLE',
    );
  }
}

/** The system store plus the CA bundle, for `ca` (which replaces the system store); undefined without a bundle. */
export function systemAndBundleCas(caBundlePath: string | undefined): Buffer[] | undefined {
  return caBundlePath ? [...rootCertificates.map((c) => Buffer.from(c)), readCaBundle(caBundlePath)] : undefined;
}
