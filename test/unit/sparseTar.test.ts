import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import * as tarStream from 'tar-stream';
import { SparseStager, SparseWriter } from '../../src/core/backup/sparseTar';
import { TarCounter } from '../../src/core/backup/tarInventory';

const run = promisify(execFile);
const SIZE = 4 << 20;

/**
 * 4 MiB, zero but for 200 stretches of 512 bytes every 16 KiB (a sparse map longer than one 512-byte block) and 100 bytes at the very end
 * (their 512-byte block is stored whole).
 */
function content(): Buffer {
  const data = Buffer.alloc(SIZE);
  for (let i = 0; i < 200; i++) data.fill(i + 1, i * 16384, i * 16384 + 512);
  data.fill(0xee, SIZE - 100);
  return data;
}

async function tarOf(entries: { name: string; data: Buffer }[]): Promise<Buffer> {
  const p = tarStream.pack();
  for (const e of entries)
    p.entry({ name: e.name, size: e.data.length, mode: 0o640, uid: 7, gid: 8, mtime: new Date(1_200_000_000_000) }, e.data);
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p as unknown as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

async function through(input: Buffer, ...transforms: NodeJS.ReadWriteStream[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  // small chunks, so maps and blocks straddle them
  const source = Readable.from(
    (function* () {
      for (let i = 0; i < input.length; i += 1000) yield input.subarray(i, i + 1000);
    })(),
  );
  await pipeline([source, ...transforms, new Writable({ write: (c: Buffer, _e, done) => (chunks.push(c), done()) })]);
  return Buffer.concat(chunks);
}

describe('PAX sparse entries of archive mode', () => {
  let dir: string;
  const data = content();
  before(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'vdvs-sparse-unit-'));
  });
  after(() => fs.rm(dir, { recursive: true, force: true }));

  it('stores only the data stretches, GNU tar extracts the same bytes sparse, counts use the real size, and restore staging gives the stretches back', async () => {
    const dense = await tarOf([
      { name: './sp.bin', data },
      { name: './dense.txt', data: Buffer.from('dense\n') },
    ]);
    const stored = await through(dense, new SparseWriter(tarStream, new Set(['./sp.bin']), join(dir, 'spool')));
    assert.ok(stored.length < 200 * 1024, `stored ${stored.length} bytes`);
    await fs.access(join(dir, 'spool')).then(
      () => assert.fail('the spool file is removed'),
      () => undefined,
    );

    const archive = join(dir, 'volume.tar');
    await fs.writeFile(archive, stored);
    const out = join(dir, 'x');
    await fs.mkdir(out);
    await run('tar', ['-xf', archive, '-C', out]);
    const extracted = await fs.readFile(join(out, 'sp.bin'));
    assert.equal(createHash('sha256').update(extracted).digest('hex'), createHash('sha256').update(data).digest('hex'));
    assert.equal(await fs.readFile(join(out, 'dense.txt'), 'utf8'), 'dense\n');

    const counter = new TarCounter(tarStream);
    await through(stored, counter);
    assert.deepEqual(counter.counted, { entries: 2, fileBytes: SIZE + 6 });

    const stager = new SparseStager(tarStream);
    const uploaded = await through(stored, stager);
    assert.equal(stager.staged.length, 1);
    const [staged] = stager.staged;
    assert.deepEqual([staged.path, staged.size, staged.mtime], ['sp.bin', SIZE, 1_200_000_000]);
    const stretches = staged.stretches.filter(([, n]) => n > 0);
    assert.equal(stretches.length, 201);
    // what goes up: the empty placeholder with the file's owner and mode, then the stretches back to back
    const seen: { name: string; size?: number; uid?: number; mode?: number; body: Buffer }[] = [];
    const ex = tarStream.extract();
    ex.on('entry', (header, stream, next) => {
      const body: Buffer[] = [];
      stream.on('data', (c: unknown) => void body.push(c as Buffer));
      stream.on(
        'end',
        () => (seen.push({ name: header.name, size: header.size, uid: header.uid, mode: header.mode, body: Buffer.concat(body) }), next()),
      );
    });
    await pipeline(Readable.from([uploaded]), ex as unknown as NodeJS.WritableStream);
    assert.deepEqual(
      seen.map((e) => [e.name, e.size]),
      [
        ['./sp.bin', 0],
        [`./${staged.staged}`, 201 * 512],
        ['./dense.txt', 6],
      ],
    );
    assert.deepEqual([seen[0].uid, seen[0].mode], [7, 0o640]);
    assert.deepEqual(seen[1].body, Buffer.concat(stretches.map(([o, n]) => data.subarray(o, o + n))));
  });
});
