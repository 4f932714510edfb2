import { createHash } from 'node:crypto';
import { extract } from 'tar-stream';
import { withHelper } from '../../src/core/backup/dockerHelper';
import { DockerConnection } from '../../src/core/docker/connection';
import { containerArchive } from '../../src/core/docker/containers';

/** sha256 of every regular file inside a volume (path → hash; symlinks → target), read through a tar of it with tar-stream. */
export async function volumeFileHashes(conn: DockerConnection, volume: string): Promise<Map<string, string>> {
  return withHelper(conn, 'alpine:latest', volume, true, {}, async (id) => {
    const tar = await containerArchive(conn, id, '/data/.');
    const hashes = new Map<string, string>();
    const ex = extract();
    ex.on('entry', (header, stream, next) => {
      const hash = createHash('sha256');
      stream.on('data', (c: unknown) => hash.update(c as Buffer));
      stream.on('end', () => {
        if (header.type === 'file') hashes.set(header.name, hash.digest('hex'));
        else if (header.type === 'symlink') hashes.set(header.name, `-> ${header.linkname}`);
        next();
      });
      stream.resume();
    });
    tar.pipe(ex);
    await new Promise<void>((resolve, reject) => {
      ex.on('finish', resolve);
      ex.on('error', reject);
    });
    return hashes;
  });
}

/** Shell that fills a volume mounted at /d with random files, nested folders and a symlink. */
export function fillScript(kib = 512): string {
  return `mkdir -p /d/sub/deeper && head -c ${kib * 1024} /dev/urandom > /d/big.bin && echo hello > /d/a.txt && head -c 3000 /dev/urandom > /d/sub/deeper/c.bin && ln -s a.txt /d/link && chmod 600 /d/a.txt`;
}

/** What a download in 32 MiB parts reports as complete from the start: strictly growing ends of whole parts, the last one the size. */
export function isPartFrontier(written: number[], size: number): boolean {
  const part = 32 * 1024 * 1024;
  return written.at(-1) === size && written.every((n, i) => (i === 0 || n > written[i - 1]) && (n === size || n % part === 0));
}
