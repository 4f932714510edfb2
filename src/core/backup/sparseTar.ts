import { randomBytes } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { posix } from 'node:path';
import type { Header } from 'tar-stream';
import { CallOptions, DockerConnection } from '../docker/connection';
import { execInHelper, MOUNT_POINT } from './dockerHelper';
import { relativeName } from './outsideLinks';
import { EntryStream, TarRepacker, TarStream } from './tarRepack';

/** Zeros are looked for in blocks of 512 bytes (no file system block is smaller), so the holes come back where they were. */
const BLOCK = 512;
const ZEROS = Buffer.alloc(BLOCK);
/** Shorter runs of zeros between data are kept as data: fewer stretches, and no file system block is shared by two. */
const MIN_HOLE = 4096;
/** One stretch of data of a sparse file: [offset, length] in the file. */
type Stretch = [number, number];

/** The real name and size of a PAX sparse 1.0 entry (GNU.sparse.major=1, minor=0), or undefined for any other entry. */
export function sparseEntry(header: Header): { name: string; size: number } | undefined {
  const pax = (header as Header & { pax?: Record<string, string> }).pax;
  if (pax?.['GNU.sparse.major'] !== '1' || pax['GNU.sparse.minor'] !== '0' || !pax['GNU.sparse.name']) return undefined;
  return { name: pax['GNU.sparse.name'], size: Number(pax['GNU.sparse.realsize']) };
}

/**
 * Backup side: the files volumeInventory() found sparse become PAX sparse 1.0 entries (the format GNU tar
 * and Go's archive/tar read): the sparse map at the start of the data, then only the stretches that
 * are not zero. Their data goes through `spool` (a file next to the archive) to learn the map first.
 */
export class SparseWriter extends TarRepacker {
  constructor(
    tar: TarStream,
    private readonly sparse: Set<string>,
    private readonly spool: string,
  ) {
    super(tar);
  }

  protected override async onEntry(header: Header, stream: EntryStream): Promise<void> {
    if (header.type !== 'file' || !this.sparse.has(header.name)) return this.keep(header, stream);
    const { stretches, stored } = await this.spoolData(stream);
    const size = header.size ?? 0;
    // the size, as GNU tar ends a file with a hole
    if (!stretches.length || stretches.at(-1)![0] + stretches.at(-1)![1] < size) stretches.push([size, 0]);
    const map = sparseMap(stretches);
    const { path: _path, size: _size, ...pax } = (header as Header & { pax?: Record<string, string> }).pax ?? {};
    const dir = posix.dirname(header.name);
    const entry = this.packer.entry({
      ...header,
      name: `${dir === '.' ? '.' : dir}/GNUSparseFile.0/${posix.basename(header.name)}`,
      size: map.length + stored,
      pax: {
        ...pax,
        'GNU.sparse.major': '1',
        'GNU.sparse.minor': '0',
        'GNU.sparse.name': header.name,
        'GNU.sparse.realsize': String(size),
      },
    });
    await new Promise<void>((resolve, reject) => {
      entry.on('finish', resolve).on('error', reject);
      entry.write(map);
      if (!stored) return void entry.end(undefined);
      createReadStream(this.spool, { end: stored - 1 })
        .on('error', reject)
        .pipe(entry);
    });
    await fs.rm(this.spool, { force: true });
  }

  /** Writes the non-zero blocks of the entry's data to the spool file; returns where they belong. */
  private async spoolData(stream: EntryStream): Promise<{ stretches: Stretch[]; stored: number }> {
    const out = await fs.open(this.spool, 'w');
    const stretches: Stretch[] = [];
    let offset = 0;
    let stored = 0;
    let carry = Buffer.alloc(0);
    let zeros = 0; // zero bytes since the last data
    const append = async (data: Buffer, at: number) => {
      const last = stretches.at(-1);
      if (last && last[0] + last[1] === at) last[1] += data.length;
      else stretches.push([at, data.length]);
      await out.write(data, 0, data.length, stored);
      stored += data.length;
    };
    const block = async (data: Buffer) => {
      if (data.length === BLOCK ? data.equals(ZEROS) : data.every((b) => b === 0)) zeros += data.length;
      else {
        if (zeros && zeros < MIN_HOLE && stretches.length) await append(Buffer.alloc(zeros), offset - zeros);
        zeros = 0;
        await append(data, offset);
      }
      offset += data.length;
    };
    try {
      for await (const chunk of stream) {
        const data = carry.length ? Buffer.concat([carry, chunk]) : chunk;
        let at = 0;
        for (; at + BLOCK <= data.length; at += BLOCK) await block(data.subarray(at, at + BLOCK));
        carry = Buffer.from(data.subarray(at));
      }
      if (carry.length) await block(carry);
    } finally {
      await out.close();
    }
    return { stretches, stored };
  }
}

/** The PAX sparse 1.0 map: the number of stretches, then offset and length of each, one a line, padded to 512 bytes. */
function sparseMap(stretches: Stretch[]): Buffer {
  const text = `${stretches.length}\n${stretches.map(([o, n]) => `${o}\n${n}\n`).join('')}`;
  const map = Buffer.alloc(Math.ceil(text.length / 512) * 512);
  map.write(text, 'latin1');
  return map;
}

/** A sparse file of the restored tar: its data stretches are in `staged` (a file in the volume) until fillSparseFiles(). */
export interface StagedSparseFile {
  path: string;
  staged: string;
  size: number;
  mtime: number;
  stretches: Stretch[];
}

/**
 * Restore side: dockerd's upload writes the zeros of a PAX sparse entry (it copies the tar reader
 * into the file, a 300 MiB sparse file then takes 300 MiB). So each sparse entry goes up as an empty
 * file with its owner, mode and mtime, plus its data stretches as a hidden file at the root, and
 * fillSparseFiles() writes the stretches in place inside the helper (dd seeks over the holes). Until
 * then a sparse file's data is in the volume twice: the volume needs room for it once more.
 */
export class SparseStager extends TarRepacker {
  readonly staged: StagedSparseFile[] = [];
  private readonly tag = randomBytes(4).toString('hex');

  protected override async onEntry(header: Header, stream: EntryStream): Promise<void> {
    const sparse = sparseEntry(header);
    if (!sparse) return this.keep(header, stream);
    const {
      'GNU.sparse.major': _a,
      'GNU.sparse.minor': _b,
      'GNU.sparse.name': _c,
      'GNU.sparse.realsize': _d,
      path: _e,
      size: _f,
      ...pax
    } = (header as Header & { pax?: Record<string, string> }).pax ?? {};
    await new Promise<void>((resolve) =>
      this.packer.entry({ ...header, name: sparse.name, size: 0, pax: Object.keys(pax).length ? pax : undefined }, Buffer.alloc(0), () =>
        resolve(),
      ),
    );
    const iterator = stream[Symbol.asyncIterator]();
    const { stretches, rest } = await readSparseMap(iterator);
    const staged = `.vdvs-restore-${this.tag}-${this.staged.length}`;
    this.staged.push({
      path: relativeName(sparse.name),
      staged,
      size: sparse.size,
      mtime: Math.floor((header.mtime?.getTime() ?? 0) / 1000),
      stretches,
    });
    const dataBytes = stretches.reduce((n, [, len]) => n + len, 0);
    const entry = this.packer.entry({ name: `./${staged}`, type: 'file', size: dataBytes, mode: 0o600, mtime: new Date() });
    const done = new Promise<void>((resolve, reject) => entry.on('finish', resolve).on('error', reject));
    const write = async (chunk: Buffer) => {
      if (!entry.write(chunk)) await new Promise<void>((r) => entry.once('drain', () => r()));
    };
    if (rest.length) await write(rest);
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) await write(next.value);
    entry.end(undefined);
    await done;
  }
}

/** Reads the sparse map at the start of an entry's data; `rest` is the data that came with it. */
async function readSparseMap(iterator: AsyncIterator<Buffer>): Promise<{ stretches: Stretch[]; rest: Buffer }> {
  let buffered = Buffer.alloc(0);
  for (;;) {
    const text = buffered.toString('latin1');
    const lines = text.split('\n');
    const count = Number(lines[0]);
    if (lines.length > 2 * count + 1 && Number.isSafeInteger(count)) {
      const used = lines.slice(0, 2 * count + 1).join('\n').length + 1;
      const padded = Math.ceil(used / 512) * 512;
      if (buffered.length >= padded) {
        const numbers = lines.slice(1, 2 * count + 1).map(Number);
        const stretches = Array.from({ length: count }, (_, i): Stretch => [numbers[2 * i], numbers[2 * i + 1]]);
        return { stretches, rest: buffered.subarray(padded) };
      }
    }
    const next = await iterator.next();
    if (next.done) throw new Error('A sparse entry of the archive ends inside its sparse map.');
    buffered = Buffer.concat([buffered, next.value]);
  }
}

/**
 * Writes each staged sparse file's stretches at their offsets (dd with byte offsets, holes left
 * unwritten), sets its size and mtime, and removes the staging file: one exec, values as arguments.
 */
export async function fillSparseFiles(
  conn: DockerConnection,
  helper: string,
  files: StagedSparseFile[],
  options: CallOptions,
): Promise<void> {
  if (!files.length) return;
  const script = [
    'while [ $# -gt 0 ]; do',
    '  src=$1 dst=$2 size=$3 mtime=$4 n=$5 pos=0; shift 5',
    '  while [ "$n" -gt 0 ]; do',
    '    dd if="$src" of="$dst" bs=65536 skip=$pos seek=$1 count=$2 iflag=skip_bytes,count_bytes oflag=seek_bytes conv=notrunc 2>/dev/null || exit 1',
    '    pos=$((pos + $2)); n=$((n - 1)); shift 2',
    '  done',
    '  truncate -s "$size" "$dst" && rm -f "$src" && touch -d "@$mtime" "$dst" || exit 1',
    'done',
  ].join('\n');
  const args = files.flatMap((f) => {
    const data = f.stretches.filter(([, n]) => n > 0); // not the closing [size, 0]
    return [
      `${MOUNT_POINT}/${f.staged}`,
      `${MOUNT_POINT}/${f.path}`,
      String(f.size),
      String(f.mtime),
      String(data.length),
      ...data.flatMap(([o, n]) => [String(o), String(n)]),
    ];
  });
  // the copies run inside the helper: allow them 10 min plus 10 MB/s of their data
  const bytes = files.reduce((n, f) => n + f.stretches.reduce((m, [, len]) => m + len, 0), 0);
  await execInHelper(conn, helper, ['sh', '-c', script, 'sh', ...args], {
    ...options,
    timeoutMs: Math.max(options.timeoutMs ?? conn.timeoutMs, 600_000 + bytes / 10_000),
  });
}
