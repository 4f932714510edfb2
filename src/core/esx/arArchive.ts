/**
 * A reader for Unix `ar` archives, the container format of a VIB. npm's `ar-async` (the only ar
 * reader there) is 2014 code on deprecated `new Buffer` that does not check the magic, so this is a
 * small reader of the common format: "!<arch>\n", then per member a 60-byte header (name 16,
 * mtime 12, uid 6, gid 6, mode 8, size 10, "`\n") and the data padded to an even length. GNU names
 * end in "/" and long ones are "/<offset>" into the "//" member; BSD long names are "#1/<len>" with
 * the name first in the data.
 */

export const AR_MAGIC = '!<arch>\n';
const HEADER_LENGTH = 60;

/** Reads `length` bytes at `position`; returns fewer only at the end of the source. */
export type ReadAt = (position: number, length: number) => Promise<Buffer>;

export interface ArMember {
  name: string;
  /** Offset of the member's data within the archive. */
  dataOffset: number;
  size: number;
}

export class ArFormatError extends Error {}

/** Lists the members of an archive of `totalSize` bytes; throws ArFormatError for anything malformed. */
export async function listArMembers(read: ReadAt, totalSize: number): Promise<ArMember[]> {
  const magic = await read(0, AR_MAGIC.length);
  if (magic.toString('latin1') !== AR_MAGIC) throw new ArFormatError('it does not start with the ar archive signature "!<arch>"');
  const members: ArMember[] = [];
  let longNames: string | undefined;
  let offset = AR_MAGIC.length;
  while (offset < totalSize) {
    const header = await read(offset, HEADER_LENGTH);
    if (header.length < HEADER_LENGTH) throw new ArFormatError(`a member header at byte ${offset} is cut off`);
    if (header.toString('latin1', 58, 60) !== '`\n') throw new ArFormatError(`the member header at byte ${offset} is malformed`);
    const rawName = header.toString('utf8', 0, 16).trimEnd();
    const sizeField = header.toString('latin1', 48, 58).trim();
    if (!/^\d+$/.test(sizeField)) throw new ArFormatError(`the member header at byte ${offset} has no valid size`);
    let size = Number(sizeField);
    let dataOffset = offset + HEADER_LENGTH;
    if (dataOffset + size > totalSize) throw new ArFormatError(`the member "${rawName}" runs past the end of the file`);
    let name = rawName;
    const bsd = /^#1\/(\d+)$/.exec(rawName);
    const gnuLong = /^\/(\d+)$/.exec(rawName);
    if (rawName === '//') {
      longNames = (await read(dataOffset, size)).toString('utf8');
    } else if (gnuLong) {
      const start = Number(gnuLong[1]);
      const end = longNames?.indexOf('/\n', start) ?? -1;
      if (longNames === undefined || end < 0) throw new ArFormatError(`the member header at byte ${offset} refers to a missing long name`);
      name = longNames.slice(start, end);
    } else if (bsd) {
      const nameLength = Number(bsd[1]);
      if (nameLength > size) throw new ArFormatError(`the member header at byte ${offset} has a bad long name`);
      name = (await read(dataOffset, nameLength)).toString('utf8').replace(/\0+$/, '');
      dataOffset += nameLength;
      size -= nameLength;
    } else if (name.endsWith('/')) {
      name = name.slice(0, -1);
    }
    if (rawName !== '//' && rawName !== '/') members.push({ name, dataOffset, size });
    offset = dataOffset + size + ((dataOffset + size) % 2);
  }
  return members;
}

/** A ReadAt over a buffer already in memory (a VIB taken out of an offline bundle). */
export function readAtBuffer(buffer: Buffer): ReadAt {
  return (position, length) => Promise.resolve(buffer.subarray(position, position + length));
}
