/**
 * restic repositories as backup destinations (#15), against baselines measured in the same run:
 *  1. archive backup of a 1 GiB volume holding 500 MB into a fresh local repository (the `vdvs` CLI,
 *     end to end) vs `docker cp HELPER:/data - | restic backup --stdin` of the same volume into another
 *     fresh repository                                                   target: ours ≥ 0.9× its throughput
 *  2. a second backup of the unchanged volume: repository growth ≤ 1 % of the data, time ≤ 0.5× the
 *     first; then 10 MB changed: growth ≤ 3 × 10 MB
 *  3. snapshot mode of a 1 GiB thin volume holding 50 MB: growth ≤ 1.2 × 50 MB (zeros deduplicate)
 *  4. the CLI's own peak RSS (restic runs as a child, reported apart): < 150 MB, flat from 1 to 4 GiB
 * Repository growth is the repository folder's size before and after (`du -sb`), what a user pays for.
 *   node out/bench/restic.js
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureVolumeLab, VolumeLab } from '../test/fixtures/volumeLab';
import { CliRun, cliBackup, labRetry, seconds } from './lib/cliRuns';

const MB = 1e6;
const DATA = 500 * MB;
const tag = `rsbench${process.pid.toString(36)}`;
const PASSWORD = 'bench-password';

function verdict(ok: boolean): string {
  return ok ? 'OK' : 'BELOW TARGET';
}

async function main(): Promise<void> {
  const lab: VolumeLab = await ensureVolumeLab();
  const dir = mkdtempSync(join(tmpdir(), 'vdvs-bench-restic-'));
  const docker = (...args: string[]) => execFileSync('docker', ['-H', lab.docker.host, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const resticEnv = (repo: string) => ({ ...process.env, RESTIC_REPOSITORY: repo, RESTIC_PASSWORD: PASSWORD });
  const init = (repo: string) => execFileSync('restic', ['init'], { env: resticEnv(repo), stdio: 'ignore' });
  const size = (repo: string) => Number(execFileSync('du', ['-sb', repo], { encoding: 'utf8' }).split('\t')[0]);
  const volumes: string[] = [];
  const containers: string[] = [];
  const repos = { ours: join(dir, 'ours'), base: join(dir, 'base'), snap: join(dir, 'snap'), big: join(dir, 'big') };
  const config = join(dir, 'vdvs.json');
  const secrets = join(dir, 'secrets.json');
  const job = (name: string, volume: string, repository: string, extra: Record<string, unknown> = {}) => ({
    name,
    dockerHost: 'bench',
    volumes: [volume],
    mode: 'archive',
    repository,
    retain: 10,
    ...extra,
  });
  try {
    const vol = `${tag}-1g`;
    const snapVol = `${tag}-snap`;
    const bigVol = `${tag}-4g`;
    volumes.push(vol, snapVol, bigVol);
    docker('volume', 'create', '--driver', 'vsphere', '--name', vol, '-o', 'size=1gb');
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
      `head -c ${DATA} /dev/urandom > /d/random.bin && sync`,
    );
    docker('volume', 'create', '--driver', 'vsphere', '--name', snapVol, '-o', 'size=1gb', '-o', 'attach-as=persistent');
    docker(
      'run',
      '--rm',
      '--network',
      'none',
      '-v',
      `${snapVol}:/d`,
      'alpine:latest',
      'sh',
      '-c',
      `head -c ${50 * MB} /dev/urandom > /d/data.bin && sync`,
    );
    docker('volume', 'create', '--driver', 'vsphere', '--name', bigVol, '-o', 'size=5gb');
    docker(
      'run',
      '--rm',
      '--network',
      'none',
      '-v',
      `${bigVol}:/d`,
      'alpine:latest',
      'sh',
      '-c',
      `head -c ${DATA} /dev/urandom > /d/random.bin && truncate -s 4G /d/sparse.bin && sync`,
    );
    for (const r of Object.values(repos)) init(r);
    writeFileSync(
      config,
      JSON.stringify({
        dockerHosts: [{ name: 'bench', endpoint: lab.docker.host, esxiHost: 'esx', vm: lab.vsphere.vm }],
        esxiHosts: [{ name: 'esx', url: lab.vsphere.url, user: lab.vsphere.user, thumbprint: lab.vsphere.thumbprint }],
        jobs: [
          job('ours', vol, repos.ours),
          job('snap', snapVol, repos.snap, { mode: 'snapshot', esxiHost: 'esx', vm: lab.vsphere.vm }),
          job('big', bigVol, repos.big),
        ],
        requestTimeoutSeconds: 120,
      }),
    );
    writeFileSync(
      secrets,
      JSON.stringify({ repositories: Object.fromEntries(Object.values(repos).map((r) => [r, { password: PASSWORD }])) }),
      {
        mode: 0o600,
      },
    );
    const backup = (name: string): CliRun => {
      process.env.VDVS_ESXI_PASSWORD_ESX = lab.vsphere.password;
      return labRetry(() => cliBackup(config, name, ['--secrets', secrets]));
    };

    // ---- 1. first backup: ours vs docker cp | restic backup --stdin (each into a fresh repository)
    const helper = `${tag}-helper`;
    containers.push(helper);
    docker('run', '-d', '--name', helper, '--network', 'none', '-v', `${vol}:/data:ro`, 'alpine:latest', 'tail', '-f', '/dev/null');
    const t0 = process.hrtime.bigint();
    const base = spawnSync(
      'sh',
      ['-c', `docker -H '${lab.docker.host}' cp ${helper}:/data - | restic backup --stdin --stdin-filename volume.tar --quiet`],
      {
        env: resticEnv(repos.base),
        encoding: 'utf8',
      },
    );
    const baseSeconds = seconds(t0);
    if (base.status !== 0) throw new Error(`baseline failed: ${base.stderr}`);
    docker('rm', '-f', helper);
    const first = backup('ours');
    const ratio = baseSeconds / first.seconds;
    console.log(
      `archive 500 MB into restic: ours ${(DATA / MB / first.seconds).toFixed(1)} MB/s, docker cp | restic ${(DATA / MB / baseSeconds).toFixed(1)} MB/s, ratio ${ratio.toFixed(2)} (target ≥ 0.9) ${verdict(ratio >= 0.9)}`,
    );

    // ---- 2. unchanged, then 10 MB changed
    let before = size(repos.ours);
    const second = backup('ours');
    const grewUnchanged = size(repos.ours) - before;
    const timeRatio = second.seconds / first.seconds;
    console.log(
      `second backup, unchanged: repository +${(grewUnchanged / MB).toFixed(2)} MB = ${((100 * grewUnchanged) / DATA).toFixed(2)} % of the data (target ≤ 1 %) ${verdict(grewUnchanged <= DATA / 100)}; ` +
        `time ${second.seconds.toFixed(1)} s = ${timeRatio.toFixed(2)}× the first (target ≤ 0.5) ${verdict(timeRatio <= 0.5)}`,
    );
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
      'dd if=/dev/urandom of=/d/random.bin bs=1M count=10 seek=200 conv=notrunc 2>/dev/null && sync',
    );
    before = size(repos.ours);
    backup('ours');
    const grewChanged = size(repos.ours) - before;
    console.log(
      `after changing 10 MB: repository +${(grewChanged / MB).toFixed(1)} MB (target ≤ 30 MB) ${verdict(grewChanged <= 30 * MB)}`,
    );

    // ---- 3. snapshot mode of a thin 1 GiB disk holding 50 MB
    const holder = `${tag}-holder`;
    containers.push(holder);
    docker('run', '-d', '--name', holder, '--network', 'none', '-v', `${snapVol}:/d`, 'alpine:latest', 'tail', '-f', '/dev/null');
    before = size(repos.snap);
    const snap = backup('snap');
    const grewSnap = size(repos.snap) - before;
    console.log(
      `snapshot mode, 1 GiB disk holding 50 MB: repository +${(grewSnap / MB).toFixed(1)} MB (target ≤ 60 MB) ${verdict(grewSnap <= 60 * MB)} in ${snap.seconds.toFixed(1)} s`,
    );

    // ---- 4. memory: 1 GiB vs 4 GiB volume
    const big = backup('big');
    const rssOk = first.selfRssMb < 150 && big.selfRssMb < 150 && big.selfRssMb < first.selfRssMb * 1.2 + 10;
    console.log(
      `CLI peak RSS: 1 GiB volume ${first.selfRssMb.toFixed(0)} MB, 4 GiB ${big.selfRssMb.toFixed(0)} MB (target < 150 MB, flat) ${verdict(rssOk)}; ` +
        `with restic (its own process) ${first.maxRssMb.toFixed(0)} / ${big.maxRssMb.toFixed(0)} MB`,
    );
  } finally {
    for (const c of containers) spawnSync('docker', ['-H', lab.docker.host, 'rm', '-f', c]);
    for (const v of volumes) spawnSync('docker', ['-H', lab.docker.host, 'volume', 'rm', '-f', v]);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
