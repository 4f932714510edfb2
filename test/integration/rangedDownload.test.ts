import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:https';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CancelledError } from '../../src/core/abort';
import { downloadHashed } from '../../src/core/backup/snapshotMode';
import { UserError } from '../../src/core/errors';
import { ownAgent } from '../../src/core/ownAgent';
import { connectToHost } from '../../src/core/vsphere/connect';
import { FolderAccess, FolderAccessSpec, uploadDatastoreFile } from '../../src/core/vsphere/datastoreFiles';
import { downloadDatastoreFileTo, RANGED_MIN_BYTES } from '../../src/core/vsphere/rangedDownload';
import { VsphereSession } from '../../src/core/vsphere/session';
import { PinnedAgent } from '../../src/core/vsphere/tls';
import { readVsphereLab, VcsimLab } from '../fixtures/vsphereLab';
import { isPartFrontier } from './backupLab';

const MiB = 1 << 20;
const SIZE = 80 * MiB + 12_345; // three 32 MiB parts, the last one short

const sha256 = (file: string) =>
  new Promise<string>((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file)
      .on('data', (c) => h.update(c))
      .on('end', () => resolve(h.digest('hex')))
      .on('error', reject);
  });
const threads = () => readdirSync('/proc/self/task').length;
const openFiles = () => readdirSync('/proc/self/fd').length;

/** Polls until `check` holds (worker threads and their files go away asynchronously). */
async function eventually(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  for (const end = Date.now() + ms; !check();) {
    if (Date.now() > end) assert.fail(what);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('snapshot-mode download of a large datastore file in parallel ranges (lab vcsim)', { timeout: 300_000 }, () => {
  let lab: VcsimLab;
  let session: VsphereSession;
  let dir: string;
  let dsDir: string;
  let source: string;
  let sourceSha: string;
  const tag = `ranged-it-${randomBytes(3).toString('hex')}`;
  const loc = () => ({ datastore: lab.datastore, path: `${tag}/disk-flat.vmdk` });

  before(async () => {
    lab = (await readVsphereLab()).esx;
    session = await connectToHost({ id: 'it', name: 'it', url: lab.url, user: lab.user, thumbprint: lab.thumbprint }, lab.password, {
      timeoutMs: 20_000,
    });
    dir = mkdtempSync(join(tmpdir(), 'vdvs-ranged-'));
    dsDir = join(lab.datastorePath, tag);
    mkdirSync(dsDir);
    source = join(dsDir, 'disk-flat.vmdk');
    writeFileSync(source, randomBytes(SIZE));
    sourceSha = await sha256(source);
  });

  after(async () => {
    await session?.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(dsDir, { recursive: true, force: true });
  });

  it('fetches 32 MiB parts over worker threads, complete in order from the start, with the same sha256 and progress to the end', async () => {
    assert.ok(SIZE >= RANGED_MIN_BYTES);
    const target = join(dir, 'a.vmdk');
    const written: number[] = [];
    let progress = 0;
    const threadsBefore = threads();
    let peakThreads = 0;
    const n = await downloadDatastoreFileTo(session, lab.datacenter, loc(), target, {
      size: SIZE,
      onWritten: (bytes) => written.push(bytes),
      onProgress: (bytes) => {
        progress = bytes;
        peakThreads = Math.max(peakThreads, threads());
      },
    });
    assert.equal(n, SIZE);
    assert.equal(progress, SIZE);
    // the file is complete from its start up to whole parts (a single stream would report every write)
    assert.ok(isPartFrontier(written, SIZE), `frontier ${written.join(', ')}`);
    assert.ok(peakThreads >= threadsBefore + 2, `two worker threads ran (threads ${threadsBefore} → ${peakThreads})`);
    assert.equal(await sha256(target), sourceSha);
    await eventually('the worker threads ended', () => threads() <= threadsBefore);
  });

  it('hashes what snapshot mode stores behind the writer, matching the file on the datastore', async () => {
    const target = join(dir, 'b.vmdk');
    const hashed = await downloadHashed(session, lab.datacenter, loc(), target, { size: SIZE });
    assert.deepEqual(hashed, { size: SIZE, sha256: sourceSha });
    assert.equal(await sha256(target), sourceSha);
  });

  it('cancelling stops every worker, closes the file and rejects with CancelledError', async () => {
    const target = join(dir, 'c.vmdk');
    const threadsBefore = threads();
    const filesBefore = openFiles();
    const controller = new AbortController();
    await assert.rejects(
      downloadHashed(session, lab.datacenter, loc(), target, {
        size: SIZE,
        signal: controller.signal,
        onProgress: () => controller.abort(),
      }),
      (e: unknown) => e instanceof CancelledError && e.message.includes(`${tag}/disk-flat.vmdk`),
    );
    await eventually('the worker threads ended', () => threads() <= threadsBefore);
    await eventually('no file stayed open', () => openFiles() <= filesBefore);
  });

  it('refuses a file that is not of the expected size, naming it (SIZE_CHANGED)', async () => {
    await assert.rejects(
      downloadDatastoreFileTo(session, lab.datacenter, loc(), join(dir, 'd.vmdk'), { size: SIZE + 1 }),
      (e: unknown) =>
        e instanceof UserError &&
        e.code === 'SIZE_CHANGED' &&
        e.message.includes(`${SIZE} bytes, not ${SIZE + 1}`) &&
        e.message.includes('disk-flat.vmdk'),
    );
  });

  it('reports a missing file as HTTP 404 with the hint', async () => {
    await assert.rejects(
      downloadDatastoreFileTo(session, lab.datacenter, { datastore: lab.datastore, path: `${tag}/gone-flat.vmdk` }, join(dir, 'e.vmdk'), {
        size: SIZE,
      }),
      (e: unknown) => e instanceof UserError && e.code === 'HTTP_404' && e.hint === 'The file does not exist on the datastore.',
    );
  });

  describe('against a stand-in of a hostd /folder that behaves otherwise (same pinned certificate)', () => {
    let server: Server;
    let mode: 'ignore-range' | 'drop' | 'stall' | 'wrong-range' | 'silent-put' = 'ignore-range';
    const seen: (string | undefined)[] = [];
    let agent: PinnedAgent;
    let url = '';
    /** The stand-in as a session would give it; the server shares this test's thread, so only the stall case gets a short timeout. */
    const standIn = (timeoutMs = 30_000): FolderAccess & { folderAccessSpec(): FolderAccessSpec } => {
      const spec: FolderAccessSpec = {
        url,
        host: new URL(url).host,
        timeoutMs,
        trust: { thumbprint: lab.thumbprint },
        headers: { Cookie: 'vmware_soap_session=stand-in' },
      };
      return { ...spec, httpOptions: () => ({ ...ownAgent(agent), headers: spec.headers }), folderAccessSpec: () => spec };
    };

    before(async () => {
      server = createServer(
        { cert: readFileSync(lab.certPath), key: readFileSync(lab.certPath.replace(/cert\.pem$/, 'key.pem')) },
        (req, res) => {
          seen.push(req.headers.range);
          if (req.method === 'PUT') return void req.pause(); // takes the headers, then reads nothing and never answers
          const body = readFileSync(source);
          if (mode === 'ignore-range') return res.writeHead(200, { 'Content-Length': body.length }).end(body);
          const [, a, b] = /bytes=(\d+)-(\d+)/.exec(req.headers.range ?? '') ?? [];
          if (mode === 'wrong-range') {
            // a proxy or hostd that answers every range from the file's start: 206, right length, wrong bytes
            const n = Number(b) - Number(a) + 1;
            return res.writeHead(206, { 'Content-Length': n, 'Content-Range': `bytes 0-${n - 1}/${body.length}` }).end(body.subarray(0, n));
          }
          const part = body.subarray(Number(a), Number(b) + 1);
          res.writeHead(206, { 'Content-Length': part.length, 'Content-Range': `bytes ${a}-${b}/${body.length}` });
          if (mode === 'drop') res.write(part.subarray(0, MiB), () => res.socket?.destroy());
          else res.write(part.subarray(0, MiB)); // then nothing: a host that stopped answering
        },
      );
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/sdk`;
      agent = new PinnedAgent({ thumbprint: lab.thumbprint });
    });

    after(() => {
      agent?.destroy();
      server?.closeAllConnections();
      server?.close();
    });

    it('a host that ignores Range gets one stream instead, with the right content', async () => {
      mode = 'ignore-range';
      seen.length = 0;
      const target = join(dir, 'f.vmdk');
      const hashed = await downloadHashed(standIn(), lab.datacenter, loc(), target, { size: SIZE });
      assert.deepEqual(hashed, { size: SIZE, sha256: sourceSha });
      assert.ok(
        seen.some((r) => r?.startsWith('bytes=')),
        'ranges were asked for first',
      );
      assert.equal(seen.at(-1), undefined, 'then the whole file, without Range');
    });

    it('a part answered from another offset (206 bytes 0-… for 32–64 MiB) fails with RANGE_MISMATCH naming both ranges, not hashed as good', async () => {
      mode = 'wrong-range';
      await assert.rejects(
        downloadHashed(standIn(), lab.datacenter, loc(), join(dir, 'i.vmdk'), { size: SIZE }),
        (e: unknown) =>
          e instanceof UserError &&
          e.code === 'RANGE_MISMATCH' &&
          e.message.includes('disk-flat.vmdk') &&
          e.message.includes(`bytes 0-${32 * MiB - 1}`) &&
          e.message.includes(`bytes ${32 * MiB}-${64 * MiB - 1}`),
      );
    });

    it('a connection dropped in the middle of a part fails with CONNECTION_LOST, naming the host and file', async () => {
      mode = 'drop';
      const access = standIn();
      await assert.rejects(
        downloadHashed(access, lab.datacenter, loc(), join(dir, 'g.vmdk'), { size: SIZE }),
        (e: unknown) =>
          e instanceof UserError && e.code === 'CONNECTION_LOST' && e.message.includes(access.host) && e.message.includes('disk-flat.vmdk'),
      );
    });

    it('a /folder upload (snapshot restore) to a host that stops reading fails with TIMEOUT naming the host and file', async () => {
      mode = 'silent-put';
      const access = standIn(1_500);
      const size = 64 * MiB;
      await assert.rejects(
        uploadDatastoreFile(access, lab.datacenter, loc(), createReadStream(source, { end: size - 1 }), size),
        (e: unknown) =>
          e instanceof UserError && e.code === 'TIMEOUT' && e.message.includes(access.host) && e.message.includes('disk-flat.vmdk'),
      );
    });

    it('a host that stops sending fails within the timeout (TIMEOUT), not never', async () => {
      mode = 'stall';
      const t0 = Date.now();
      await assert.rejects(
        downloadHashed(standIn(1_500), lab.datacenter, loc(), join(dir, 'h.vmdk'), { size: SIZE }),
        (e: unknown) => e instanceof UserError && e.code === 'TIMEOUT' && e.message.includes('stopped answering'),
      );
      assert.ok(Date.now() - t0 < 15_000);
    });
  });
});
