import { randomBytes } from 'node:crypto';
import { SIDECAR_KEY } from '../vdvs/layout';

/**
 * A vDVS volume's files on restore. The backup's descriptor is not trusted: it may name any file
 * (`../prodVM/prodVM.vmx`), so the names it holds are only checked, and the descriptor written is
 * rewritten with names made from the target volume alone: its one extent `<new>-flat.vmdk`, its
 * sidecar `<new>-<16 hex>.vmfd` (as vDVS names them). The sidecar's attachment facts belong to the
 * old disk and are reset, as vDVS does on detach.
 */

const EXTENT_LINE = /^(\s*(?:RW|RDONLY|NOACCESS)\s+\d+\s+\S+\s+")([^"]*)(".*)$/gm;
const SIDECARS_LINE = /^ddb\.sidecars\s*=\s*"([^"]*)"\s*$/m;

/** The names of a volume's own files: descriptor, flat extent, a fresh vDVS sidecar name. */
export function volumeFileNames(volume: string): { descriptor: string; flat: string; sidecar: string } {
  return { descriptor: `${volume}.vmdk`, flat: `${volume}-flat.vmdk`, sidecar: `${volume}-${randomBytes(8).toString('hex')}.vmfd` };
}

/**
 * The problem with a descriptor read from a backup, or undefined: it must describe one flat extent,
 * no parent disk, and name only plain files of its own folder (no `/`, `\`, `..`).
 */
export function descriptorProblem(text: string): string | undefined {
  const extents = [...text.matchAll(EXTENT_LINE)].map((m) => m[2]);
  if (extents.length !== 1) return `it describes ${extents.length} extents (a vDVS disk has one flat extent)`;
  const parent = /^parentFileNameHint\s*=\s*"([^"]*)"/m.exec(text);
  if (parent) return `it names a parent disk '${parent[1]}' (a vDVS disk has none)`;
  const sidecars = SIDECARS_LINE.exec(text)?.[1].split(',') ?? [];
  const names = [extents[0], ...sidecars.filter((_, i) => i % 2 === 1)];
  const bad = names.find((n) => !isPlainFileName(n));
  return bad === undefined ? undefined : `it names '${bad}', which is not a file of the disk's own folder`;
}

function isPlainFileName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !/[/\\\0]/.test(name);
}

/**
 * The descriptor for `volume`: `text` (checked with descriptorProblem) with its extent named
 * `<volume>-flat.vmdk` and `ddb.sidecars` naming only `sidecar` (the line is dropped without one).
 */
export function descriptorForVolume(text: string, volume: string, sidecar: string | undefined): string {
  const renamed = text.replace(
    EXTENT_LINE,
    (_m, pre: string, _name: string, post: string) => `${pre}${volumeFileNames(volume).flat}${post}`,
  );
  const line = sidecar === undefined ? '' : `ddb.sidecars = "${SIDECAR_KEY},${sidecar}"`;
  if (SIDECARS_LINE.test(renamed)) return renamed.replace(SIDECARS_LINE, line).replace(/\n\n+$/, '\n');
  return line ? `${renamed.replace(/\n?$/, '\n')}${line}\n` : renamed;
}

/** The (first) extent a descriptor names: its file and size in 512-byte sectors. */
export function descriptorExtent(text: string): { file: string; sectors: number } | undefined {
  const m = /^\s*(?:RW|RDONLY|NOACCESS)\s+(\d+)\s+\S+\s+"([^"]+)"/m.exec(text);
  return m ? { file: m[2], sectors: Number(m[1]) } : undefined;
}

/** The vDVS sidecar a descriptor names in `ddb.sidecars` (key docker-volume-vsphere), if any. */
export function descriptorSidecar(text: string): string | undefined {
  const list = /^ddb\.sidecars\s*=\s*"([^"]*)"/m.exec(text)?.[1].split(',') ?? [];
  for (let i = 0; i + 1 < list.length; i += 2) if (list[i] === SIDECAR_KEY) return list[i + 1];
  return undefined;
}

const ATTACHMENT_KEYS = ['attachedVMUuid', 'attachedVMName', 'attachedVMDevice'];

/**
 * The vDVS sidecar (JSON padded with spaces to a 4 KiB multiple, as kvESX.save writes it) with the
 * attachment cleared and status `detached`, padded to its old length. Returns undefined when the
 * sidecar is not that JSON (then it is restored byte for byte).
 */
export function detachedSidecar(content: Buffer): Buffer | undefined {
  let meta: Record<string, unknown>;
  try {
    meta = JSON.parse(content.toString('utf8').trim()) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) return undefined;
  for (const key of ATTACHMENT_KEYS) delete meta[key];
  if ('status' in meta) meta.status = 'detached';
  const json = JSON.stringify(meta);
  const length = Math.max(content.length, json.length + 1);
  return Buffer.from(`${json}${' '.repeat(length - json.length - 1)}\n`, 'utf8');
}
