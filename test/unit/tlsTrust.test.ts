import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { DockerConnection } from '../../src/core/docker/connection';
import { UserError } from '../../src/core/errors';
import { PinnedAgent, probeCertificate, ThumbprintMismatchError, UnknownCertificateError } from '../../src/core/vsphere/tls';

const run = promisify(execFile);

/**
 * PinnedAgent against a local https server whose certificates are made here with the openssl CLI: a
 * self-signed leaf that is no CA (like ESXi's), a private CA with two leaves, and an expired self-signed one.
 */
describe('vsphere TLS: pinned or CA-verified, never unverified', () => {
  const dir = mkdtempSync(join(tmpdir(), 'h6-tls-'));
  const file = (name: string) => join(dir, name);
  const pem = (name: string) => readFileSync(file(name));
  const thumbprint = (name: string) => new X509Certificate(pem(`${name}.pem`)).fingerprint256;
  let server: https.Server;
  let port = 0;
  /** HTTP requests the server received: a refused peer must never see one. */
  let requests = 0;

  const openssl = (...args: string[]) => run('openssl', args, { cwd: dir });
  const serve = (cert: string, key: string, chain?: string) =>
    server.setSecureContext({ cert: Buffer.concat([pem(`${cert}.pem`), ...(chain ? [pem(`${chain}.pem`)] : [])]), key: pem(`${key}.key`) });
  const get = (agent: PinnedAgent) =>
    new Promise<string>((resolve, reject) => {
      https
        .get({ host: '127.0.0.1', port, path: '/sdk', agent }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve(body));
        })
        .on('error', reject);
    });

  before(async () => {
    writeFileSync(file('leaf.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
    const selfSigned = (name: string, days: string) =>
      openssl(
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        days,
        '-subj',
        `/CN=${name}.example`,
        '-addext',
        'basicConstraints=critical,CA:FALSE',
        '-addext',
        'subjectAltName=DNS:esx.example',
        '-keyout',
        `${name}.key`,
        '-out',
        `${name}.pem`,
      );
    await Promise.all([
      selfSigned('esx', '2'),
      selfSigned('other', '2'),
      openssl(
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=h6 test CA',
        '-keyout',
        'ca.key',
        '-out',
        'ca.pem',
      ),
    ]);
    for (const leaf of ['leaf', 'leaf2']) {
      await openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${leaf}`, '-keyout', `${leaf}.key`, '-out', `${leaf}.csr`);
      await openssl(
        'x509',
        '-req',
        '-in',
        `${leaf}.csr`,
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-days',
        '2',
        '-extfile',
        'leaf.ext',
        '-out',
        `${leaf}.pem`,
      );
    }
    // notAfter one day in the past
    await openssl('x509', '-req', '-in', 'leaf.csr', '-signkey', 'leaf.key', '-days', '-1', '-out', 'expired.pem');
    server = https.createServer({ cert: pem('esx.pem'), key: pem('esx.key') }, (_req, res) => {
      requests++;
      // a fresh TLS connection per request, so each one meets the certificate served at that moment
      res.setHeader('Connection', 'close');
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });

  after(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('accepts a pinned self-signed certificate whose name does not match the address', async () => {
    serve('esx', 'esx');
    const agent = new PinnedAgent({ thumbprint: thumbprint('esx').toLowerCase().replace(/:/g, '') });
    assert.equal(await get(agent), 'ok');
    assert.equal(await get(agent), 'ok');
    agent.destroy();
  });

  it('accepts a pinned leaf issued by a CA it does not know (the pin is the only anchor), with or without the chain sent', async () => {
    const agent = new PinnedAgent({ thumbprint: thumbprint('leaf') });
    serve('leaf', 'leaf', 'ca');
    assert.equal(await get(agent), 'ok');
    serve('leaf', 'leaf');
    assert.equal(await get(agent), 'ok');
    agent.destroy();
  });

  it('refuses a certificate changed after the pin with CERT_CHANGED, before any request is sent', async () => {
    serve('esx', 'esx');
    const agent = new PinnedAgent({ thumbprint: thumbprint('esx') });
    assert.equal(await get(agent), 'ok');
    const before = requests;
    serve('other', 'other');
    await assert.rejects(
      get(agent),
      (e: unknown) =>
        e instanceof ThumbprintMismatchError &&
        e.code === 'CERT_CHANGED' &&
        e.message.includes(thumbprint('esx')) &&
        e.message.includes(thumbprint('other')),
    );
    assert.equal(requests, before);
    agent.destroy();
  });

  it('refuses a certificate other than the pin from the first connection on', async () => {
    serve('other', 'other');
    const before = requests;
    const agent = new PinnedAgent({ thumbprint: thumbprint('esx') });
    await assert.rejects(get(agent), (e: unknown) => e instanceof ThumbprintMismatchError && e.message.includes(thumbprint('other')));
    assert.equal(requests, before);
    agent.destroy();
  });

  it('refuses another leaf of the same CA when the CA certificate itself is what was pinned', async () => {
    serve('leaf2', 'leaf2', 'ca');
    const agent = new PinnedAgent({ thumbprint: thumbprint('ca') });
    // the agent reads the leaf the host presents, which is not the pinned CA
    await assert.rejects(get(agent), (e: unknown) => e instanceof ThumbprintMismatchError && e.message.includes(thumbprint('leaf2')));
    agent.destroy();
  });

  it('refuses an expired pinned certificate with CERT_INVALID and the reason', async () => {
    serve('expired', 'leaf');
    const before = requests;
    const agent = new PinnedAgent({ thumbprint: thumbprint('expired') });
    await assert.rejects(
      get(agent),
      (e: unknown) => e instanceof UserError && e.code === 'CERT_INVALID' && /CERT_HAS_EXPIRED/.test(e.message),
    );
    assert.equal(requests, before);
    agent.destroy();
  });

  it('accepts a CA-valid certificate without a pin (CA from vdvs.tls.caBundlePath) and checks the host name', async () => {
    serve('leaf', 'leaf', 'ca');
    const agent = new PinnedAgent({ caBundlePath: file('ca.pem') });
    assert.equal(await get(agent), 'ok');
    agent.destroy();
    const wrongName = new PinnedAgent({ caBundlePath: file('ca.pem') });
    await assert.rejects(
      new Promise((resolve, reject) =>
        https.get({ host: 'localhost', port, servername: 'esx.example', agent: wrongName }, resolve).on('error', reject),
      ),
      (e: unknown) =>
        e instanceof UnknownCertificateError && e.reason === 'ERR_TLS_CERT_ALTNAME_INVALID' && e.thumbprint === thumbprint('leaf'),
    );
    wrongName.destroy();
  });

  it('asks to pin an unknown self-signed certificate, sending nothing to it', async () => {
    serve('esx', 'esx');
    const before = requests;
    const agent = new PinnedAgent({});
    await assert.rejects(
      get(agent),
      (e: unknown) =>
        e instanceof UnknownCertificateError &&
        e.code === 'CERT_UNKNOWN' &&
        e.thumbprint === thumbprint('esx') &&
        e.reason === 'DEPTH_ZERO_SELF_SIGNED_CERT',
    );
    assert.equal(requests, before);
    agent.destroy();
  });

  it('probes the certificate for the trust prompt without sending a request', async () => {
    serve('leaf', 'leaf', 'ca');
    const before = requests;
    assert.deepEqual(await probeCertificate(`https://127.0.0.1:${port}/sdk`, 5000), {
      thumbprint: thumbprint('leaf'),
      authorized: false,
      subject: 'leaf',
    });
    assert.deepEqual(await probeCertificate(`https://127.0.0.1:${port}/sdk`, 5000, file('ca.pem')), {
      thumbprint: thumbprint('leaf'),
      authorized: true,
      subject: 'leaf',
    });
    assert.equal(requests, before);
  });

  it('names an unreadable CA bundle (vSphere and Docker tcp+TLS)', async () => {
    assert.throws(
      () => new PinnedAgent({ caBundlePath: file('missing.pem') }),
      (e: unknown) => e instanceof UserError && e.code === 'CA_BUNDLE',
    );
    const tlsDir = file('docker-tls');
    mkdirSync(tlsDir);
    copyFileSync(file('leaf.pem'), join(tlsDir, 'cert.pem'));
    copyFileSync(file('leaf.key'), join(tlsDir, 'key.pem'));
    await assert.rejects(
      DockerConnection.open(
        { id: 'h6-tls', name: 'h6-tls', endpoint: `tcp://127.0.0.1:${port}`, tlsCertPath: tlsDir },
        { timeoutMs: 5000, caBundlePath: file('missing.pem') },
      ),
      (e: unknown) => e instanceof UserError && e.code === 'CA_BUNDLE' && e.message.includes('missing.pem'),
    );
  });
});
