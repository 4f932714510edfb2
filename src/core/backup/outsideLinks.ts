import { posix } from 'node:path';
import type { Header } from 'tar-stream';
import { CallOptions, DockerConnection } from '../docker/connection';
import { execInHelper, MOUNT_POINT } from './dockerHelper';
import { EntryStream, TarRepacker } from './tarRepack';

/** A symlink taken out of a tar, and the mtime of its folder (creating the link changes it). */
export interface OutsideLink {
  /** Relative to the volume's root, e.g. `sub/up-link`. */
  path: string;
  target: string;
  owner: string;
  mtime: number;
  /** Its folder as the tar had it (absent when the tar did not list it). */
  folder?: { path: string; mtime: number };
}

/**
 * Takes out of a tar stream the symlinks whose relative target leaves the volume's root
 * (`ln -s ../outside up-link`): dockerd's archive upload refuses them (500 `invalid symlink`), and
 * with them the whole restore. Everything else is re-packed as it came (tar-stream keeps pax
 * records: long names, xattrs, big sizes). createOutsideLinks() puts the links back afterwards.
 */
export class OutsideLinkFilter extends TarRepacker {
  readonly taken: OutsideLink[] = [];
  /** The folders from the root down to the entry last seen: a tar from dockerd is a depth-first walk. */
  private folders: { path: string; mtime: number }[] = [];

  protected override async onEntry(header: Header, stream: EntryStream): Promise<void> {
    const path = relativeName(header.name);
    const mtime = Math.floor((header.mtime?.getTime() ?? 0) / 1000);
    if (header.type === 'directory') this.folders = [...this.ancestorsOf(path), { path, mtime }];
    if (header.type !== 'symlink' || !header.linkname || !leavesRoot(path, header.linkname)) return this.keep(header, stream);
    const folder = this.ancestorsOf(path).at(-1);
    this.taken.push({
      path,
      target: header.linkname,
      owner: `${header.uid ?? 0}:${header.gid ?? 0}`,
      mtime,
      ...(folder ? { folder } : {}),
    });
    return this.skip(stream);
  }

  /** The folders seen that contain `path` (the root `''` contains everything). */
  private ancestorsOf(path: string): { path: string; mtime: number }[] {
    return this.folders.filter((f) => f.path === '' || path.startsWith(`${f.path}/`));
  }
}

/** `./sub/x/` → `sub/x`; the root is ''. */
export function relativeName(name: string): string {
  return posix
    .normalize(name)
    .replace(/^\.\/?|\/$/g, '')
    .replace(/^\.$/, '');
}

/** Whether a relative target, read from the link's folder, ends up above the root (dockerd's test). */
function leavesRoot(path: string, target: string): boolean {
  if (posix.isAbsolute(target)) return false; // dockerd resolves those inside the root
  const resolved = posix.join('/root', posix.dirname(path), target);
  return resolved !== '/root' && !resolved.startsWith('/root/');
}

/**
 * Creates the links taken out by OutsideLinkFilter inside the helper, with their owner and mtime,
 * then gives their folders back their mtimes: one exec, the values as arguments (no quoting).
 */
export async function createOutsideLinks(
  conn: DockerConnection,
  helper: string,
  links: OutsideLink[],
  options: CallOptions,
): Promise<void> {
  if (!links.length) return;
  const at = (path: string) => (path ? `${MOUNT_POINT}/${path}` : MOUNT_POINT);
  const script = [
    'while [ $# -gt 0 ]; do',
    '  if [ "$1" = L ]; then ln -sfn -- "$2" "$3" && chown -h "$4" "$3" && touch -h -d "@$5" "$3" || exit 1; shift 5',
    '  else touch -d "@$3" "$2" || exit 1; shift 3; fi',
    'done',
  ].join('\n');
  const args = [
    ...links.flatMap((l) => ['L', l.target, at(l.path), l.owner, String(l.mtime)]),
    ...links.flatMap((l) => (l.folder ? ['D', at(l.folder.path), String(l.folder.mtime)] : [])),
  ];
  await execInHelper(conn, helper, ['sh', '-c', script, 'sh', ...args], options);
}
