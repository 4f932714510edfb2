/**
 * Backup engine throughput and memory, against baselines measured in the same run:
 *  1. archive mode of a 1 GiB volume (the `vdvs` CLI, end to end) vs
 *     `docker run --rm -v VOL:/data alpine tar -c -C /data . > file`        target: ours ≥ 0.9
 *  2. a 1 GiB flat VMDK downloaded from the datastore `/folder` URL with our code as snapshot mode
 *     does (session cookie, pinned TLS, 32 MiB ranges over two connections in worker threads,
 *     sha256 in order behind the writer) vs `curl` of the same URL
 *     to the same disk, which does not hash                                 target: ours ≥ 0.9
 *  Ours fsyncs each file before a backup counts as complete, so each baseline's file is synced
 *  (`sync FILE`) inside its timing too: both sides end with the data on disk.
 *  3. the engine's peak RSS (the CLI process, /usr/bin/time) backing up 1 GiB and 4 GiB volumes:
 *     target < 150 MB and not growing with size.
 * The 1 GiB data is random (written once); the 4 GiB volume holds a sparse file (the engine still
 * streams 4 GiB through). Every file, volume and backup made here is removed at the end.
 *   node out/bench/backup.js [--runs N] [--only download]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { downloadHashed } from '../src/core/backup/snapshotMode';
import { connectToHost } from '../src/core/vsphere/connect';
import { folderUrl } from '../src/core/vsphere/datastoreFiles';
import { ensureVolumeLab, VolumeLab } from '../test/fixtures/volumeLab';
import { arg, median, optionText } from './lib/benchArgs';
import { cliBackup, labRetry, seconds } from './lib/cliRuns';

const GiB = 1024 ** 3;
const tag = `bk8bench${process.pid.toString(36)}`;

const mbps = (bytes: number, seconds: number) => bytes / 1e6 / seconds;

async function main(): Promise<void> {
  const lab: VolumeLab = await ensureVolumeLab();
  console.log(`backup bench: medians of ${arg('runs') ?? 2} run(s) each`);
  const runs = arg('runs') ?? 2;
  const dir = mkdtempSync(join(tmpdir(), 'vdvs-bench-backup-'));
  const docker = (...args: string[]) => execFileSync('docker', ['-H', lab.docker.host, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const volumes: string[] = [];
  const dsDir = join(lab.vsphere.datastorePath, tag);
  try {
    if (optionText('only') === 'download') return await folderVsCurl(lab, dir, dsDir, runs);
    // ---- 1. archive mode vs docker run tar
    const vol = `${tag}-1g`;
    volumes.push(vol);
    docker('volume', 'create', '--driver', 'vsphere', '--name', vol, '-o', 'size=2gb');
    docker(
      'run',
      '--rm',
      '--network',
      'none',
      '-v',
      `${vol}:/d`,
      'alpine:latest',
      'sh',
      '-c',
      'head -c 1073741824 /dev/urandom > /d/random.bin && sync',
    );
    const config = join(dir, 'vdvs.json');
    const job = (name: string, v: string) => ({
      name,
      dockerHost: 'bench',
      volumes: [v],
      mode: 'archive',
      destination: join(dir, 'backups'),
      retain: 1,
    });
    writeFileSync(
      config,
      JSON.stringify({
        dockerHosts: [{ name: 'bench', endpoint: lab.docker.host }],
        esxiHosts: [],
        jobs: [job('1g', vol), job('4g', `${tag}-4g`)],
        requestTimeoutSeconds: 120,
      }),
    );
    const ours: number[] = [];
    const base: number[] = [];
    const rss1: number[] = [];
    for (let i = 0; i < runs; i++) {
      const out = join(dir, 'baseline.tar');
      let t0 = process.hrtime.bigint();
      const fd = openSync(out, 'w');
      try {
        const r = labRetry(
          () =>
            spawnSync(
              'docker',
              [
                '-H',
                lab.docker.host,
                'run',
                '--rm',
                '--network',
                'none',
                '-v',
                `${vol}:/data`,
                'alpine:latest',
                'tar',
                '-c',
                '-C',
                '/data',
                '.',
              ],
              { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' },
            ),
          (r) => r.stderr,
        );
        if (r.status !== 0) throw new Error(`baseline docker run tar failed: ${r.stderr}`);
      } finally {
        closeSync(fd);
      }
      execFileSync('sync', [out]); // ours fsyncs before it renames the backup complete: the baseline is made durable too
      const baseBytes = statSync(out).size;
      base.push(mbps(baseBytes, seconds(t0)));
      rmSync(out);
      t0 = process.hrtime.bigint();
      const run = labRetry(() => cliBackup(config, '1g'));
      ours.push(mbps(baseBytes, seconds(t0)));
      rss1.push(run.maxRssMb);
    }
    const archiveRatio = median(ours) / median(base);
    row('archive 1 GiB vs docker run tar', ours, base, archiveRatio, 0.9);

    await folderVsCurl(lab, dir, dsDir, runs);

    // ---- 3. peak RSS with a 4 GiB volume (sparse file: 4 GiB still stream through the engine)
    const vol4 = `${tag}-4g`;
    volumes.push(vol4);
    docker('volume', 'create', '--driver', 'vsphere', '--name', vol4, '-o', 'size=5gb');
    docker(
      'run',
      '--rm',
      '--network',
      'none',
      '-v',
      `${vol4}:/d`,
      'alpine:latest',
      'sh',
      '-c',
      'truncate -s 4G /d/sparse.bin && echo x > /d/small.txt',
    );
    const run4 = labRetry(() => cliBackup(config, '4g'));
    const rss = Math.max(...rss1);
    console.log(
      `engine peak RSS: 1 GiB ${rss.toFixed(0)} MB, 4 GiB ${run4.maxRssMb.toFixed(0)} MB (target < 150 MB, flat) ${rss < 150 && run4.maxRssMb < 150 && run4.maxRssMb < rss * 1.2 + 10 ? 'OK' : 'BELOW TARGET'}`,
    );
    console.log(`(4 GiB archive in ${run4.seconds.toFixed(1)} s = ${mbps(4 * GiB, run4.seconds).toFixed(1)} MB/s)`);
  } finally {
    for (const v of volumes) {
      try {
        docker('volume', 'rm', '-f', v);
      } catch {
        // already gone
      }
    }
    rmSync(dsDir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * 2. the /folder download, ours vs curl of the same URL to the same disk, alternating in each run.
 * curl only writes; ours also computes the sha256 the manifest records (part of the product).
 */
async function folderVsCurl(lab: VolumeLab, dir: string, dsDir: string, runs: number): Promise<void> {
  mkdirSync(dsDir, { recursive: true });
  const flat = join(dsDir, 'bench-flat.vmdk');
  // on disk before timing starts: its writeback would otherwise slow whichever side runs first
  execFileSync('sh', ['-c', `head -c ${GiB} /dev/urandom > '${flat}' && sync '${flat}'`]);
  const session = await connectToHost(
    { id: 'b', name: 'b', url: lab.vsphere.url, user: lab.vsphere.user, thumbprint: lab.vsphere.thumbprint },
    lab.vsphere.password,
    { timeoutMs: 60_000 },
  );
  const loc = { datastore: lab.vsphere.datastore, path: `${tag}/bench-flat.vmdk` };
  const url = folderUrl(session, lab.vsphere.datacenter, loc).toString();
  const oursDl: number[] = [];
  const curlDl: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const target = join(dir, 'download.bin');
      let t0 = process.hrtime.bigint();
      execFileSync('curl', ['-sSf', '--cacert', `${lab.dir}/vsphere/esx-cert.pem`, '-o', target, url]);
      execFileSync('sync', [target]);
      curlDl.push(mbps(GiB, seconds(t0)));
      rmSync(target);
      t0 = process.hrtime.bigint();
      const hashed = await downloadHashed(session, lab.vsphere.datacenter, loc, target, { size: GiB }); // what snapshot mode does
      oursDl.push(mbps(hashed.size, seconds(t0)));
      rmSync(target);
    }
  } finally {
    await session.close();
  }
  const downloadRatio = median(oursDl) / median(curlDl);
  row('/folder 1 GiB vs curl', oursDl, curlDl, downloadRatio, 0.9);
  console.log(`  each run, MB/s: ours ${oursDl.map((v) => v.toFixed(0)).join(' ')}; curl ${curlDl.map((v) => v.toFixed(0)).join(' ')}`);
}

function row(what: string, o: number[], b: number[], ratio: number, target: number): void {
  console.log(
    `${what.padEnd(34)} ours ${median(o).toFixed(1).padStart(7)} MB/s  baseline ${median(b).toFixed(1).padStart(7)} MB/s  ratio ${ratio.toFixed(2)} (target ≥ ${target}) ${ratio >= target ? 'OK' : 'BELOW TARGET'}`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
