import { X509Certificate } from 'node:crypto';
import * as https from 'node:https';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { systemAndBundleCas } from '../caBundle';
import { UserError } from '../errors';

/**
 * TLS to ESXi/vCenter. Every connection that carries data runs with OpenSSL's verification on
 * (rejectUnauthorized stays true), so no request and no password reaches an unverified peer:
 * - nothing pinned: the system store (plus the vdvs.tls.caBundlePath PEM) and the usual host-name check;
 * - a pinned SHA-256 thumbprint: the pinned certificate is the only trust anchor (`ca: [pinnedPem]` with
 *   `allowPartialTrustChain`, so a CA-signed leaf can be the anchor itself) and checkServerIdentity
 *   accepts exactly the pinned fingerprint instead of the host name (ESXi certificates rarely name the
 *   address users connect to; the pin is the identity). Expiry is still checked.
 *
 * Settings and the CLI config keep only the thumbprint, so the pinned PEM is read from the host once per
 * agent by readPeerCertificate and kept only if its thumbprint equals the pin. That handshake sends no
 * application data and is the one place where verification is off (trust on first use, and naming the
 * presented thumbprint when a verified handshake is refused). Storing the PEM at confirm time would save
 * one handshake per session but change every stored host and the CLI config format.
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
    super(
      `The certificate of ${host} is not trusted (${reason}). Its SHA-256 thumbprint is ${thumbprint}.`,
      'Confirm the thumbprint to pin it, or add its CA to the vdvs.tls.caBundlePath setting.',
      'CERT_UNKNOWN',
    );
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
    super(
      `Refusing to connect to ${host}: its certificate changed. Pinned SHA-256 thumbprint ${expected}, presented ${actual}.`,
      'If the host certificate was replaced on purpose, edit the host and trust the new thumbprint.',
      'CERT_CHANGED',
    );
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

type CreateCallback = (err: Error | null, socket: Duplex) => void;

interface TlsTarget {
  host: string;
  port: number;
  servername?: string;
}

/** An https.Agent (keep-alive) whose sockets are verified by OpenSSL against the system store, the CA bundle or the pinned certificate. */
export class PinnedAgent extends https.Agent {
  private readonly ca?: Buffer[];
  private readonly pin?: string;
  /** The pinned certificate as read from the host, once its thumbprint matched the pin. */
  private pinnedPem?: Promise<string>;

  constructor(
    trust: TlsTrust,
    /** A handshake that does not finish in time is torn down (the request's own deadline cannot reach it yet). */
    private readonly handshakeTimeoutMs = 30_000,
  ) {
    super({ keepAlive: true, maxSockets: 8 });
    this.pin = trust.thumbprint ? (normalizeThumbprint(trust.thumbprint) ?? trust.thumbprint) : undefined;
    this.ca = systemAndBundleCas(trust.caBundlePath);
  }

  override createConnection(options: https.RequestOptions, callback?: CreateCallback): undefined {
    const done: CreateCallback = callback ?? (() => undefined);
    const target: TlsTarget = { host: options.host ?? 'localhost', port: Number(options.port ?? 443), servername: options.servername };
    this.connectVerified(options as tls.ConnectionOptions, target).then(
      (socket) => done(null, socket),
      // Node's Agent reads no stream when err is set.
      (err: Error) => done(err, undefined as unknown as Duplex),
    );
    return undefined;
  }

  private async connectVerified(options: tls.ConnectionOptions, target: TlsTarget): Promise<tls.TLSSocket> {
    const where = `${target.host}:${target.port}`;
    const pin = this.pin;
    const trust: tls.ConnectionOptions = pin
      ? {
          ca: [await this.pinnedCertificate(target, pin)],
          allowPartialTrustChain: true,
          checkServerIdentity: (_name, cert) => checkPin(where, pin, cert),
        }
      : { ca: this.ca };
    try {
      return await handshake({ ...options, ...trust, rejectUnauthorized: true }, where, this.handshakeTimeoutMs);
    } catch (err) {
      throw err instanceof VerificationRefused ? await this.explainRefusal(target, err.reason) : err;
    }
  }

  private pinnedCertificate(target: TlsTarget, pin: string): Promise<string> {
    if (!this.pinnedPem) {
      const read = readPeerCertificate({ ...target, ca: this.ca }, this.handshakeTimeoutMs).then((peer) => {
        if (peer.thumbprint !== pin) throw new ThumbprintMismatchError(`${target.host}:${target.port}`, pin, peer.thumbprint);
        return peer.pem;
      });
      // A failed read (host down, another certificate) is not kept: the next connection reads again.
      read.catch(() => {
        if (this.pinnedPem === read) this.pinnedPem = undefined;
      });
      this.pinnedPem = read;
    }
    return this.pinnedPem;
  }

  /** OpenSSL refused the certificate; a reading handshake finds out which one the host presents, for the message. */
  private async explainRefusal(target: TlsTarget, reason: string): Promise<Error> {
    const where = `${target.host}:${target.port}`;
    const peer = await readPeerCertificate({ ...target, ca: this.ca }, this.handshakeTimeoutMs).catch(() => undefined);
    if (!peer) return new UserError(`The certificate of ${where} failed TLS verification (${reason}).`, undefined, 'CERT_UNKNOWN');
    if (!this.pin) return new UnknownCertificateError(where, peer.thumbprint, reason);
    if (peer.thumbprint !== this.pin) {
      this.pinnedPem = undefined;
      return new ThumbprintMismatchError(where, this.pin, peer.thumbprint);
    }
    return new UserError(
      `${where} presents its pinned certificate, but TLS verification refuses it (${reason}).`,
      'An expired or not yet valid certificate must be renewed on the host; then edit the host and trust the new thumbprint.',
      'CERT_INVALID',
    );
  }
}

/** The pin replaces the host-name check: only the pinned certificate itself is accepted as the peer. */
function checkPin(where: string, pin: string, cert: tls.PeerCertificate): Error | undefined {
  const actual = thumbprintOf(cert.raw);
  return actual === pin ? undefined : new ThumbprintMismatchError(where, pin, actual);
}

/** OpenSSL (or checkServerIdentity) refused the peer after the handshake; `reason` is Node's code for it. */
class VerificationRefused extends Error {
  constructor(readonly reason: string) {
    super(`TLS verification refused the peer (${reason}).`);
  }
}

/** A verified TLS connection, or its refusal as VerificationRefused (errors that are already UserErrors pass as they are). */
function handshake(options: tls.ConnectionOptions, where: string, timeoutMs: number): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect(options);
    // 'secure' fires when the handshake finished, before Node judges the certificate; an error after it is that judgement.
    let handshakeDone = false;
    socket.once('secure', () => (handshakeDone = true));
    const onError = (err: Error) =>
      reject(
        handshakeDone && !(err instanceof UserError)
          ? new VerificationRefused(String((err as NodeJS.ErrnoException).code ?? err.message))
          : err,
      );
    socket.once('error', onError);
    const timer = setTimeout(
      () =>
        socket.destroy(
          new UserError(`${where} did not complete the TLS handshake within ${Math.round(timeoutMs / 1000)} s.`, undefined, 'TIMEOUT'),
        ),
      timeoutMs,
    );
    socket.once('close', () => clearTimeout(timer));
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

interface PeerCertificate {
  pem: string;
  thumbprint: string;
  /** Whether it chains to the trusted CAs and names the host. */
  authorized: boolean;
  subject: string;
}

/**
 * Reads the certificate a host presents and closes without sending application data. The only handshake
 * with verification off: nothing is trusted from it but the certificate, which callers compare with the
 * pin or show to the user to pin.
 */
function readPeerCertificate(target: TlsTarget & { ca?: Buffer[] }, timeoutMs: number): Promise<PeerCertificate> {
  const where = `${target.host}:${target.port}`;
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: target.host,
      port: target.port,
      servername: target.servername,
      ca: target.ca,
      rejectUnauthorized: false,
    });
    socket.setTimeout(timeoutMs, () =>
      socket.destroy(
        new UserError(`${where} did not complete the TLS handshake within ${Math.round(timeoutMs / 1000)} s.`, undefined, 'TIMEOUT'),
      ),
    );
    socket.once('error', reject);
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate();
      socket.destroy();
      if (!cert?.raw) return reject(new UserError(`${where} presented no TLS certificate.`, undefined, 'CERT_NONE'));
      resolve({
        pem: new X509Certificate(cert.raw).toString(),
        thumbprint: thumbprintOf(cert.raw),
        authorized: socket.authorized,
        subject: String(cert.subject?.CN ?? ''),
      });
    });
  });
}

/** Connects once just to read the certificate (for the "trust this thumbprint?" prompt). */
export async function probeCertificate(
  url: string,
  timeoutMs: number,
  caBundlePath?: string,
): Promise<{ thumbprint: string; authorized: boolean; subject: string }> {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const peer = await readPeerCertificate(
    { host, port: Number(u.port || 443), servername: isIP(host) ? undefined : host, ca: systemAndBundleCas(caBundlePath) },
    timeoutMs,
  );
  return { thumbprint: peer.thumbprint, authorized: peer.authorized, subject: peer.subject };
}
