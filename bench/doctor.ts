/**
 * vDVS Doctor over many volumes: one `runDoctor` (src/core/doctor) over the lab's ESX vcsim and Docker
 * host at 100 and at 1,000 vsphere volumes, printing its time and the vSphere round trips it made
 * (session.stats.requests): these must not grow with the count (collect.ts reads the datacenters, the
 * datastores, every VM with disks and snapshots, and one dockvols search per datastore; the Docker
 * side inspects each volume, which is what takes the time). Volumes are created and removed through
 * the Engine API, many at a time; all are named dr-bench-*.
 *   node out/bench/doctor.js [--counts 100,1000] [--runs 3] [--concurrency 8]
 * Point it at a private lab with VDVS_LAB_DIR. Figures (median of 3, 2 shared cores, other labs busy):
 *   100 volumes: 722 ms, 5 vSphere round trips (first run 8: the three container views are made once);
 *   1,000 volumes: 9.9 s, 5 round trips (runs 5, 5, 5). The time is the Docker side's 1,000 inspects
 *   (each asks the plugin, which runs one ESX command at a time); the vSphere side stays 5 requests.
 */
import { DockerHostConfig, EsxiHostConfig } from '../src/core/config';
import { DockerConnection } from '../src/core/docker/connection';
import { listVolumes, mapLimit, removeVolume } from '../src/core/docker/volumes';
import { DoctorTargets } from '../src/core/doctor/collect';
import { runDoctor } from '../src/core/doctor/doctor';
import { createVsphereVolume } from '../src/core/vdvs/inventory';
import { connectToHost } from '../src/core/vsphere/connect';
import { ensureVolumeLab, retryLabTransient } from '../test/fixtures/volumeLab';
import { optionText as arg, median } from './lib/benchArgs';

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
  const host: DockerHostConfig = { id: 'dr-bench', name: 'lab-docker', endpoint: lab.docker.host, vmName: lab.vsphere.vm };
  const esxi: EsxiHostConfig = {
    id: 'lab-esx',
    name: 'lab-esx',
    url: lab.vsphere.url,
    user: lab.vsphere.user,
    thumbprint: lab.vsphere.thumbprint,
  };
  const conn = await DockerConnection.open(host, { timeoutMs: 120_000 });
  const session = await connectToHost(esxi, lab.vsphere.password, { timeoutMs: 120_000 });
  const targets: DoctorTargets = {
    timeoutMs: 120_000,
    esxi: [{ config: esxi, session: async () => session }],
    docker: [{ host, vmName: lab.vsphere.vm, connection: async () => conn }],
  };
  const prefix = `dr-bench-${process.pid}-`;
  const mine = async () => (await listVolumes(conn)).map((v) => v.name).filter((n) => n.startsWith(prefix));
  const rows: string[] = [];
  try {
    for (const count of counts) {
      const have = (await mine()).length;
      const names = Array.from({ length: count - have }, (_, i) => `${prefix}${String(have + i).padStart(5, '0')}`);
      const [createMs] = await timed(() =>
        mapLimit(names, concurrency, (name) => retryLabTransient(() => createVsphereVolume(conn, name, { size: '1mb' }))),
      );
      console.log(`created ${names.length} volumes (now ${count}) in ${(createMs / 1000).toFixed(1)} s, ${concurrency} at a time`);
      const times: number[] = [];
      const trips: number[] = [];
      for (let i = 0; i < runs; i++) {
        const before = session.stats.requests;
        const [ms, report] = await timed(() => runDoctor(targets));
        trips.push(session.stats.requests - before);
        times.push(ms);
        const listed = report.facts.docker[0].volumes.filter((v) => v.name.startsWith(prefix)).length;
        const ours = report.findings.filter((f) => f.subject.name.includes(prefix));
        if (listed !== count || ours.length)
          throw new Error(
            `doctor run incomplete or not clean: ${listed}/${count} listed, findings ${JSON.stringify(ours.slice(0, 3).map((f) => f.id))}`,
          );
      }
      const row = `${String(count).padStart(5)} volumes: doctor ${median(times).toFixed(0)} ms (runs: ${times.map((t) => t.toFixed(0)).join(', ')}), vSphere round trips ${median(trips)} (runs: ${trips.join(', ')})`;
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
  console.log(`\ndoctor (median of ${runs}; vSphere round trips must not grow with the count)\n${rows.join('\n')}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
