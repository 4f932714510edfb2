import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as https from 'node:https';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { UserError } from '../errors';

/**
 * TLS to ESXi/vCenter: certificates that chain to the system store (or the configured CA bundle) are
 * accepted; a self-signed one only when its SHA-256 thumbprint equals the pinned one. The check runs
 * before the socket is handed to the HTTP client, so no request (and no password) is written to an
 * unverified peer.
 */
export interface TlsTrust {
  /** Pinned SHA-256 thumbprint, upper-case hex with colons. */
  thumbprint?: string;
  /** PEM file of extra trusted CAs. */
  caBundlePath?: string;
}

/** The certificate is not trusted and nothing is pinned yet: the caller may ask the user to pin it. */
export class UnknownCertificateError extends UserError {
  constructor(
    readonly host: string,
    readonly thumbprint: string,
    readonly reason: string,
  ) {
    super(`The certificate of ${host} is not trusted (${reason}). Its SHA-256 thumbprint is ${thumbprint}.`, 'Confirm the thumbprint to pin it, or add its CA to the vdvs.tls.caBundlePath setting.', 'CERT_UNKNOWN');
    this.name = 'UnknownCertificateError';
  }
}

/** The host presents another certificate than the pinned one. */
export class ThumbprintMismatchError extends UserError {
  constructor(
    readonly host: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`Refusing to connect to ${host}: its certificate changed. Pinned SHA-256 thumbprint ${expected}, presented ${actual}.`, 'If the host certificate was replaced on purpose, edit the host and trust the new thumbprint.', 'CERT_CHANGED');
    this.name = 'ThumbprintMismatchError';
  }
}

/** "AB:CD:…" for a DER certificate. */
export function thumbprintOf(der: Buffer): string {
  return new X509Certificate(der).fingerprint256.toUpperCase();
}

/** Accepts "ab:cd…", "abcd…" or "AB CD …"; returns the canonical form or undefined. */
export function normalizeThumbprint(text: string): string | undefined {
  const hex = text.replace(/[\s:]/g, '').toUpperCase();
  return /^[0-9A-F]{64}$/.test(hex) ? hex.match(/../g)!.join(':') : undefined;
}

/** Decides whether a finished handshake is acceptable; returns the error to fail with otherwise. */
export function verifyPeer(socket: tls.TLSSocket, host: string, trust: TlsTrust): Error | undefined {
  const cert = socket.getPeerCertificate();
  if (!cert?.raw) return new UserError(`${host} presented no TLS certificate.`, undefined, 'CERT_NONE');
  const actual = thumbprintOf(cert.raw);
  if (trust.thumbprint) {
    const expected = normalizeThumbprint(trust.thumbprint) ?? trust.thumbprint;
    return actual === expected ? undefined : new ThumbprintMismatchError(host, expected, actual);
  }
  if (socket.authorized) return undefined;
  return new UnknownCertificateError(host, actual, String(socket.authorizationError ?? 'not verified'));
}

type CreateCallback = (err: Error | null, socket: Duplex) => void;

/** An https.Agent (keep-alive) whose sockets are verified by `verifyPeer` before first use. */
export class PinnedAgent extends https.Agent {
  private readonly ca?: Buffer[];

  constructor(
    private readonly trust: TlsTrust,
    /** A handshake that does not finish in time is torn down (the request's own deadline cannot reach it yet). */
    private readonly handshakeTimeoutMs = 30_000,
  ) {
    super({ keepAlive: true, maxSockets: 8 });
    this.ca = trust.caBundlePath ? [...tls.rootCertificates.map((c) => Buffer.from(c)), readCaBundle(trust.caBundlePath)] : undefined;
  }

  override createConnection(options: https.RequestOptions, callback?: CreateCallback): undefined {
    const host = `${options.host ?? 'host'}:${options.port ?? 443}`;
    const done: CreateCallback = callback ?? (() => undefined);
    // rejectUnauthorized is false only so that verifyPeer can judge a self-signed certificate by its
    // pinned thumbprint; every socket still goes through verifyPeer before any byte is written.
    const socket = tls.connect({ ...(options as tls.ConnectionOptions), ca: this.ca, rejectUnauthorized: false });
    const onError = (err: Error) => done(err, socket);
    socket.once('error', onError);
    const timer = setTimeout(() => socket.destroy(new UserError(`${host} did not complete the TLS handshake within ${Math.round(this.handshakeTimeoutMs / 1000)} s.`, undefined, 'TIMEOUT')), this.handshakeTimeoutMs);
    socket.once('close', () => clearTimeout(timer));
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      const problem = verifyPeer(socket, host, this.trust);
      if (problem) {
        socket.destroy();
        done(problem, socket);
      } else {
        done(null, socket);
      }
    });
    return undefined;
  }
}

function readCaBundle(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new UserError(`Cannot read the CA bundle ${path}: ${(err as Error).message}.`, 'Fix or clear the vdvs.tls.caBundlePath setting.', 'CA_BUNDLE');
  }
}

/** Connects once just to read the certificate (for the "trust this thumbprint?" prompt). */
export function probeCertificate(url: string, timeoutMs: number, caBundlePath?: string): Promise<{ thumbprint: string; authorized: boolean; subject: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: u.hostname, port: Number(u.port || 443), servername: isIP(u.hostname) ? undefined : u.hostname, rejectUnauthorized: false, ca: caBundlePath ? [...tls.rootCertificates, readCaBundle(caBundlePath)] : undefined });
    socket.setTimeout(timeoutMs, () => socket.destroy(new UserError(`${u.host} did not answer within ${Math.round(timeoutMs / 1000)} s.`, undefined, 'TIMEOUT')));
    socket.once('error', reject);
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate();
      socket.end();
      if (!cert?.raw) return reject(new UserError(`${u.host} presented no TLS certificate.`));
      resolve({ thumbprint: thumbprintOf(cert.raw), authorized: socket.authorized, subject: String(cert.subject?.CN ?? '') });
    });
  });
}
