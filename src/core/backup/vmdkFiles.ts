import { SIDECAR_KEY } from '../vdvs/layout';

/**
 * Renaming a vDVS volume's files on restore: the descriptor names its flat extent and its metadata
 * sidecar, so both references follow the new volume name; the sidecar's attachment facts belong
 * to the old disk and are reset, as vDVS does on detach.
 */

/** `<old>-<hex>.vmfd` → `<new>-<hex>.vmfd`; any other name is kept. */
export function renameVolumeFile(file: string, oldVolume: string, newVolume: string): string {
  if (file === `${oldVolume}.vmdk`) return `${newVolume}.vmdk`;
  if (file === `${oldVolume}-flat.vmdk`) return `${newVolume}-flat.vmdk`;
  if (file.startsWith(`${oldVolume}-`) && file.endsWith('.vmfd')) return `${newVolume}${file.slice(oldVolume.length)}`;
  return file;
}

/** Rewrites the extent line(s) (`RW 2048 VMFS "old-flat.vmdk"`) and `ddb.sidecars` for the new file names. */
export function rewriteDescriptor(text: string, oldVolume: string, newVolume: string): string {
  const rename = (name: string) => renameVolumeFile(name, oldVolume, newVolume);
  return text
    .replace(/^(\s*(?:RW|RDONLY|NOACCESS)\s+\d+\s+\S+\s+")([^"]+)(")/gm, (_m, pre: string, name: string, post: string) => `${pre}${rename(name)}${post}`)
    .replace(/^(ddb\.sidecars\s*=\s*")([^"]*)(")/m, (_m, pre: string, list: string, post: string) => {
      const parts = list.split(',');
      for (let i = 0; i + 1 < parts.length; i += 2) if (parts[i] === SIDECAR_KEY) parts[i + 1] = rename(parts[i + 1]);
      return `${pre}${parts.join(',')}${post}`;
    });
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
