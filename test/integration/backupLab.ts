import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extract, pack } from 'tar-stream';
import { withHelper } from '../../src/core/backup/dockerHelper';
import { DockerConnection } from '../../src/core/docker/connection';
import { containerArchive } from '../../src/core/docker/containers';
import { connectToHost } from '../../src/core/vsphere/connect';
import { VsphereSession } from '../../src/core/vsphere/session';
import { ensureVolumeLab, labDocker, VolumeLab } from '../fixtures/volumeLab';

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

const CLI = join(__dirname, '../../../dist/cli.js');

/**
 * What the backup suites share: the lab's Docker host and ESXi session, a destination with a CLI config naming both, and what to remove
 * after.
 */
export interface BackupSuite {
  lab: VolumeLab;
  docker: (...args: string[]) => Promise<string>;
  conn: DockerConnection;
  session: VsphereSession;
  dest: string;
  /** `dockerHosts` [host → the lab's dockerd, ESXi host `esx`, vm], `esxiHosts` [`esx`], no jobs. */
  configFile: string;
  volumes: string[];
  containers: string[];
}

export async function openBackupSuite(host: string, tempPrefix: string): Promise<BackupSuite> {
  const lab = await ensureVolumeLab();
  const conn = await DockerConnection.open(
    { id: host, name: host, endpoint: lab.docker.host, vmName: lab.vsphere.vm },
    { timeoutMs: 120_000 },
  );
  const session = await connectToHost(
    { id: 'esx', name: 'esx', url: lab.vsphere.url, user: lab.vsphere.user, thumbprint: lab.vsphere.thumbprint },
    lab.vsphere.password,
    { timeoutMs: 60_000 },
  );
  const dest = await fs.mkdtemp(join(tmpdir(), tempPrefix));
  const configFile = join(dest, 'vdvs.json');
  await fs.writeFile(
    configFile,
    JSON.stringify({
      dockerHosts: [{ name: host, endpoint: lab.docker.host, esxiHost: 'esx', vm: lab.vsphere.vm }],
      esxiHosts: [{ name: 'esx', url: lab.vsphere.url, user: lab.vsphere.user, thumbprint: lab.vsphere.thumbprint }],
      jobs: [],
      requestTimeoutSeconds: 60,
    }),
  );
  return { lab, docker: labDocker(lab), conn, session, dest, configFile, volumes: [], containers: [] };
}

/** Removes the suite's containers, volumes and destination, and closes its connections. */
export async function closeBackupSuite(s: BackupSuite | undefined): Promise<void> {
  if (!s) return;
  for (const c of s.containers) await s.docker('rm', '-f', c).catch(() => undefined);
  for (const v of s.volumes) await s.docker('volume', 'rm', '-f', v).catch(() => undefined);
  s.conn.close();
  await s.session.close();
  await fs.rm(s.dest, { recursive: true, force: true });
}

/** The built `vdvs` CLI with the lab's ESXi password in the environment. */
export function spawnCli(lab: VolumeLab, args: string[]): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [CLI, ...args], { env: { ...process.env, VDVS_ESXI_PASSWORD_ESX: lab.vsphere.password } });
}

export async function runCli(lab: VolumeLab, args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawnCli(lab, args);
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  return { code, out, err };
}

/** The tar `archive` without the entry `name`, every other entry re-packed as it was (tar-stream). */
export async function dropEntry(archive: Buffer, name: string): Promise<Buffer> {
  const ex = extract();
  const out = pack();
  const chunks: Buffer[] = [];
  out.on('data', (c: unknown) => void chunks.push(c as Buffer));
  ex.on('entry', (header, stream, next) => {
    if (header.name === name) return void stream.on('end', next).resume();
    stream.pipe(out.entry(header, next));
  });
  ex.on('finish', () => out.finalize());
  ex.end(archive);
  await new Promise<void>((resolve, reject) => out.on('end', resolve).on('error', reject));
  return Buffer.concat(chunks);
}
