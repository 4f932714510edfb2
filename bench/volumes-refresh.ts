/**
 * Volumes view refresh: a full refresh of the view's data (src/core/vdvs/volumeData.ts: the Docker
 * host's volumes, their inspect Status and containers, joined with dockvols and the VM disks of the
 * ESXi host) against the docker CLI baseline `docker volume ls` + `docker volume inspect` of the same
 * volumes, in the same run, at 100 and at 1,000 vsphere volumes in the lab. Prints the time ratio
 * (target ≤ 1.0) and the vSphere round trips per refresh (must not grow with the count).
 * Volumes are created and removed through the Engine API, many at a time; all are named t7-bench-*.
 *   node out/bench/volumes-refresh.js [--counts 100,1000] [--runs 3] [--concurrency 8]
 * Point it at a private lab with VDVS_LAB_DIR. Figures (median of 3, 2 shared cores, load 7–18):
 *   stand-in running ESX commands in parallel, 32 inspects in flight, docker-modem: 0.97 at 100,
 *     1.06 at 1,000 (earlier run; a probe here: 22–28 s vs 15–17 s): vcsim burnt twice the CPU
 *     with 32 Gets at once, which vDVS never runs;
 *   stand-in serialised as vDVS is (EsxVmdkCmd.Run's mutex): 0.72 / 1.04 (100 / 1,000);
 *   + keep-alive node:http transport, 4 in flight: 1.22 / 1.18 (too few to cover a loaded host);
 *   + 16 in flight: 0.57 / 0.89 (9.7 s vs 10.9 s at 1,000). vSphere round trips: 5–7 at both counts
 *   (the dockvols search task is polled until done).
 * Each line is one bench run; the machine's load swings them by ±0.3, so they indicate, not prove.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DockerHostConfig } from '../src/core/config';
import { DockerConnection } from '../src/core/docker/connection';
import { listVolumes, mapLimit, removeVolume } from '../src/core/docker/volumes';
import { createVsphereVolume } from '../src/core/vdvs/inventory';
import { loadVolumeData } from '../src/core/vdvs/volumeData';
import { VsphereSession } from '../src/core/vsphere/session';
import { ensureVolumeLab, retryLabTransient } from '../test/fixtures/volumeLab';
import { optionText as arg, median } from './lib/benchArgs';

const run = promisify(execFile);

async function timed<T>(work: () => Promise<T>): Promise<[number, T]> {
  const t0 = process.hrtime.bigint();
  const result = await work();
  return [Number(process.hrtime.bigint() - t0) / 1e6, result];
}

async function main(): Promise<void> {
  const counts = (arg('counts') ?? '100,1000').split(',').map(Number);
  const runs = Number(arg('runs') ?? 3);
  const concurrency = Number(arg('concurrency') ?? 8);
  const lab = await ensureVolumeLab();
  const host: DockerHostConfig = { id: 't7-bench', name: 'lab-docker', endpoint: lab.docker.host, vmName: lab.vsphere.vm };
  const conn = await DockerConnection.open(host, { timeoutMs: 120_000 });
  const session = await VsphereSession.open({
    url: lab.vsphere.url,
    user: lab.vsphere.user,
    password: lab.vsphere.password,
    thumbprint: lab.vsphere.thumbprint,
    timeoutMs: 120_000,
  });
  const prefix = `t7-bench-${process.pid}-`;
  const mine = async () => (await listVolumes(conn)).map((v) => v.name).filter((n) => n.startsWith(prefix));
  const sources = {
    docker: [
      { host, use: <T>(work: (conn: DockerConnection) => Promise<T>) => DockerConnection.using(host, { timeoutMs: 120_000 }, work) },
    ],
    esxi: [{ id: 'lab-esx', name: 'lab-esx', session: async () => session }],
  };
  const docker = (...args: string[]) => run('/usr/bin/docker', ['-H', lab.docker.host, ...args], { maxBuffer: 256 << 20 });
  const rows: string[] = [];
  try {
    for (const count of counts) {
      const have = (await mine()).length;
      const names = Array.from({ length: count - have }, (_, i) => `${prefix}${String(have + i).padStart(5, '0')}`);
      const [createMs] = await timed(() =>
        mapLimit(names, concurrency, (name) => retryLabTransient(() => createVsphereVolume(conn, name, { size: '1mb' }))),
      );
      console.log(`created ${names.length} volumes (now ${count}) in ${(createMs / 1000).toFixed(1)} s, ${concurrency} at a time`);
      const all = await mine();
      const ours: number[] = [];
      const cli: number[] = [];
      const trips: number[] = [];
      for (let i = 0; i < runs; i++) {
        const before = session.stats.requests;
        const [ms, data] = await timed(() => loadVolumeData(sources));
        trips.push(session.stats.requests - before);
        const listed = data.rows.filter((r) => r.volume.startsWith(prefix));
        // other suites create and remove volumes in the shared lab meanwhile: only ours must be complete
        const failures = data.inspectFailures.filter((f) => f.name.startsWith(prefix));
        if (
          listed.length !== count ||
          listed.some((r) => !r.vmdk || r.orphan || !r.facts.size) ||
          data.hostErrors.length ||
          data.esxiErrors.length ||
          failures.length
        ) {
          throw new Error(
            `refresh incomplete: ${listed.length}/${count} rows, ${listed.filter((r) => !r.vmdk).length} without VMDK, errors ${JSON.stringify([data.hostErrors, data.esxiErrors, failures.slice(0, 3)])}`,
          );
        }
        ours.push(ms);
        const [cliMs] = await timed(async () => {
          // the bench's volumes only: other suites' volumes come and go in the shared lab meanwhile
          const ls = (await docker('volume', 'ls', '-q', '--filter', 'driver=vsphere:latest', '--filter', `name=${prefix}`)).stdout
            .split('\n')
            .filter(Boolean);
          const inspected = JSON.parse((await docker('volume', 'inspect', ...ls)).stdout) as unknown[];
          if (inspected.length < all.length) throw new Error(`docker volume inspect returned ${inspected.length} of ${all.length}`);
        });
        cli.push(cliMs);
      }
      const row = `${String(count).padStart(5)} volumes: ours ${median(ours).toFixed(0)} ms, docker CLI ${median(cli).toFixed(0)} ms, ratio ${(median(ours) / median(cli)).toFixed(2)}, vSphere round trips per refresh ${median(trips)} (runs: ${trips.join(', ')})`;
      console.log(row);
      rows.push(row);
    }
  } finally {
    const left = await mine();
    const [rmMs] = await timed(() =>
      mapLimit(left, concurrency, (name) =>
        retryLabTransient(() => removeVolume(conn, name, false, { timeoutMs: 120_000 })).catch((e: Error) =>
          console.error(`cleanup ${name}: ${e.message}`),
        ),
      ),
    );
    console.log(`removed ${left.length} volumes in ${(rmMs / 1000).toFixed(1)} s`);
    conn.close();
    await session.close();
  }
  console.log(`\nvolumes-refresh (median of ${runs}; ratio = ours / CLI, target ≤ 1.0)\n${rows.join('\n')}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
