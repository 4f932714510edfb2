import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CancelledError } from '../../src/core/abort';
import { UserError } from '../../src/core/errors';
import { connectToHost } from '../../src/core/vsphere/connect';
import { downloadToFile } from '../../src/core/vsphere/fileDownload';
import { VsphereSession } from '../../src/core/vsphere/session';
import { readVsphereLab, VcsimLab } from '../fixtures/vsphereLab';

/** The worker-thread download of snapshot backups, against the lab's ESX-model vcsim. */
describe('downloadToFile (worker thread, /folder)', () => {
  let lab: VcsimLab;
  let session: VsphereSession;
  const tag = `h3-dl-${randomBytes(3).toString('hex')}`;
  const local = mkdtempSync(join(tmpdir(), `${tag}-`));
  const data = randomBytes(5 * 1024 * 1024 + 12345); // several 1 MiB blocks and a partial one
  const loc = () => ({ datastore: lab.datastore, path: `${tag}/disk-flat.vmdk` });
  /** The session as seen through another URL, trust or timeout (the worker reads only these). */
  const variant = (over: { url?: string; thumbprint?: string; timeoutMs?: number }) =>
    Object.create(session, {
      url: { get: () => over.url ?? session.url },
      host: { get: () => new URL(over.url ?? session.url).host },
      timeoutMs: { get: () => over.timeoutMs ?? session.timeoutMs },
      httpOptions: { value: () => ({ ...session.httpOptions(), trust: { thumbprint: over.thumbprint ?? lab.thumbprint } }) },
    }) as VsphereSession;

  before(async () => {
    ({ esx: lab } = await readVsphereLab());
    session = await connectToHost({ id: 'h3', name: 'h3', url: lab.url, user: lab.user, thumbprint: lab.thumbprint }, lab.password, { timeoutMs: 20_000 });
    mkdirSync(join(lab.datastorePath, tag), { recursive: true });
    writeFileSync(join(lab.datastorePath, tag, 'disk-flat.vmdk'), data);
  });
  after(async () => {
    rmSync(join(lab.datastorePath, tag), { recursive: true, force: true });
    rmSync(local, { recursive: true, force: true });
    await session?.close();
  });

  it('writes the file with its size and sha256, reporting progress up to the total', async () => {
    const file = join(local, 'ok.bin');
    const seen: number[] = [];
    const hashed = await downloadToFile(session, lab.datacenter, loc(), file, { onProgress: (b) => seen.push(b) });
    assert.equal(hashed.size, data.length);
    assert.equal(hashed.sha256, createHash('sha256').update(data).digest('hex'));
    assert.ok(readFileSync(file).equals(data));
    assert.ok(seen.length >= 5, `progress reported ${seen.length} times`);
    assert.deepEqual([...seen].sort((a, b) => a - b), seen);
    assert.equal(seen.at(-1), data.length);
  });

  it('reports a missing file as HTTP_404 with a hint, and creates no local file', async () => {
    const file = join(local, 'missing.bin');
    await assert.rejects(downloadToFile(session, lab.datacenter, { datastore: lab.datastore, path: `${tag}/nope-flat.vmdk` }, file), (e: unknown) => e instanceof UserError && e.code === 'HTTP_404' && /nope-flat\.vmdk/.test(e.message) && /does not exist/.test(e.hint ?? ''));
    assert.equal(existsSync(file), false);
  });

  it('refuses a host whose certificate is not the pinned one, in the worker too (CERT_CHANGED)', async () => {
    const wrong = Array(32).fill('AB').join(':');
    await assert.rejects(downloadToFile(variant({ thumbprint: wrong }), lab.datacenter, loc(), join(local, 'pin.bin')), (e: unknown) => e instanceof UserError && e.code === 'CERT_CHANGED' && e.message.includes(wrong));
    assert.equal(existsSync(join(local, 'pin.bin')), false);
  });

  it('stops on cancel with CancelledError: at once when already cancelled, and while the request is in flight', async () => {
    await assert.rejects(downloadToFile(session, lab.datacenter, loc(), join(local, 'pre.bin'), { signal: AbortSignal.abort() }), CancelledError);
    await withSilentHost(async (url) => {
      const ac = new AbortController();
      const pending = downloadToFile(variant({ url, timeoutMs: 60_000 }), lab.datacenter, loc(), join(local, 'mid.bin'), { signal: ac.signal });
      setTimeout(() => ac.abort(), 300); // the worker is then waiting for the handshake
      await assert.rejects(pending, CancelledError);
    });
  });

  it('gives up on a silent host after the session timeout (TIMEOUT)', async () => {
    await withSilentHost(async (url) => {
      await assert.rejects(downloadToFile(variant({ url, timeoutMs: 800 }), lab.datacenter, loc(), join(local, 'silent.bin')), (e: unknown) => e instanceof UserError && e.code === 'TIMEOUT');
    });
  });
});

/** A TCP server that accepts and never answers (no TLS handshake), at an https URL. */
async function withSilentHost(work: (url: string) => Promise<void>): Promise<void> {
  const held = new Set<Socket>();
  const silent: Server = createServer((s) => held.add(s)).listen(0, '127.0.0.1');
  await new Promise((r) => silent.once('listening', r));
  try {
    await work(`https://127.0.0.1:${(silent.address() as { port: number }).port}/sdk`);
  } finally {
    for (const s of held) s.destroy();
    silent.close();
  }
}
