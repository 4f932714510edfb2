import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, rmSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FollowingHasher } from '../../src/core/backup/hashing';

describe('FollowingHasher (sha256 in order behind a writer that fills a file out of order)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vdvs-follow-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('hashes exactly the bytes written, though parts land out of order and advance() comes in steps', async () => {
    const file = join(dir, 'a.bin');
    const data = randomBytes(3 * (1 << 20) + 777);
    const parts = [2, 0, 3, 1].map((i) => ({ start: i * (1 << 20), end: Math.min(data.length, (i + 1) * (1 << 20)) }));
    const hasher = await FollowingHasher.create(file);
    const fd = openSync(file, 'r+');
    const done = new Set<number>();
    try {
      for (const p of parts) {
        writeSync(fd, data, p.start, p.end - p.start, p.start);
        done.add(p.start);
        let contiguous = 0;
        while (done.has(contiguous)) contiguous = Math.min(data.length, contiguous + (1 << 20));
        hasher.advance(contiguous);
        hasher.advance(contiguous - 1); // going back is ignored
      }
      const hashed = await hasher.finish(data.length);
      assert.deepEqual(hashed, { size: data.length, sha256: createHash('sha256').update(data).digest('hex') });
    } finally {
      closeSync(fd);
      await hasher.close();
    }
  });

  it('fails when the file is shorter than the writer said, instead of hashing a partial file', async () => {
    const file = join(dir, 'b.bin');
    const hasher = await FollowingHasher.create(file);
    writeFileSync(file, randomBytes(1000));
    try {
      await assert.rejects(hasher.finish(2000), /ends at 1000 bytes, but 2000 were written/);
    } finally {
      await hasher.close();
    }
  });
});
