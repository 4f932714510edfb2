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
 * With SSH (issue 17): the first load with `vmdkops_admin.py volume ls` instead of the inspects (and
 * instead of the dockvols search), and the update after one `docker volume create` (updateVolumeData:
 * one inspect, one container list). Median of 2, 2 shared cores under heavy load (creating 900 volumes
 * took 214 s, 70 s idle), last run: 100 volumes 67 ms (CLI 1,109 ms, 0.06×), update 20 ms; 1,000
 * volumes 1,158 ms (CLI 10,144 ms, 0.11×), update 23–45 ms. Earlier runs at 1,000: 2,912 ms with
 * fast-xml-parser and the dockvols search (the parser alone took 0.9 s for 1,000 rows, the patterns
 * 18 ms), 1,226–1,551 ms without the search. What is left at 1,000: the ls itself (0.4–0.55 s: the
 * stand-in reads 2,000 files and logs in to vcsim) and, after it, the VMs' disks and GET /volumes.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DockerHostConfig } from '../src/core/config';
import { runVmdkopsAdmin } from '../src/core/esx/vmdkopsAdmin';
import { SshSession } from '../src/core/ssh/shellSession';
import { parseVolumeLs, VOLUME_LS_ARGS } from '../src/core/vdvs/adminVolumes';
import { DockerConnection } from '../src/core/docker/connection';
import { listVolumes, mapLimit, removeVolume } from '../src/core/docker/volumes';
import { createVsphereVolume } from '../src/core/vdvs/inventory';
import { loadVolumeData, updateVolumeData, VolumesSnapshot } from '../src/core/vdvs/volumeData';
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
  const shell = await SshSession.open(
    {
      host: lab.ssh.host,
      port: lab.ssh.port,
      user: lab.ssh.user,
      auth: 'password',
      secret: lab.ssh.password,
      hostKeyFingerprint: lab.ssh.hostKeyFingerprint,
    },
    { timeoutMs: 30_000 },
  );
  const dockerSource = {
    host,
    use: <T>(work: (conn: DockerConnection) => Promise<T>) => DockerConnection.using(host, { timeoutMs: 120_000 }, work),
  };
  const esxi = { id: 'lab-esx', name: 'lab-esx', session: async () => session };
  // without SSH: one inspect per volume; with SSH: one vmdkops_admin.py volume ls on the pooled shell
  const sources = { docker: [dockerSource], esxi: [esxi] };
  const sshSources = {
    docker: [dockerSource],
    esxi: [{ ...esxi, adminVolumes: async () => parseVolumeLs(await runVmdkopsAdmin(shell, VOLUME_LS_ARGS, { timeoutMs: 120_000 })) }],
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
      const viaSsh: number[] = [];
      const adminLs: number[] = [];
      const updates: number[] = [];
      const cli: number[] = [];
      const trips: number[] = [];
      const complete = (data: VolumesSnapshot) => {
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
            `refresh incomplete: ${listed.length}/${count} rows, ${listed.filter((r) => !r.vmdk).length} without VMDK, errors ${JSON.stringify([data.hostErrors, data.esxiErrors, data.adminErrors, failures.slice(0, 3)])}`,
          );
        }
      };
      for (let i = 0; i < runs; i++) {
        const before = session.stats.requests;
        const [ms, data] = await timed(() => loadVolumeData(sources));
        trips.push(session.stats.requests - before);
        complete(data);
        ours.push(ms);
        const [sshMs, viaAdmin] = await timed(() => loadVolumeData(sshSources));
        complete(viaAdmin);
        if (viaAdmin.statusFrom.inspect > viaAdmin.statusFrom.admin)
          throw new Error(`volume ls gave ${viaAdmin.statusFrom.admin} Statuses, ${viaAdmin.statusFrom.inspect} inspected`);
        viaSsh.push(sshMs);
        adminLs.push((await timed(() => runVmdkopsAdmin(shell, VOLUME_LS_ARGS, { timeoutMs: 120_000 })))[0]);
        // one docker volume create, then the view's update for the event it makes (the volume it names)
        const extra = `${prefix}u${i}`;
        await retryLabTransient(() => createVsphereVolume(conn, extra, { size: '1mb' }));
        const [updMs, updated] = await timed(() => updateVolumeData(viaAdmin, dockerSource, [extra]));
        const row = updated.rows.find((r) => r.volume === extra);
        if (!row || row.orphan || !row.facts.size || updated.rows.length !== viaAdmin.rows.length + 1)
          throw new Error(`update after create: ${JSON.stringify(row)} (${updated.rows.length} rows, before ${viaAdmin.rows.length})`);
        updates.push(updMs);
        await removeVolume(conn, extra, false, { timeoutMs: 120_000 });
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
      const row =
        `${String(count).padStart(5)} volumes: first load with SSH (volume ls) ${median(viaSsh).toFixed(0)} ms (volume ls alone ${median(adminLs).toFixed(0)} ms), ` +
        `without SSH (inspects) ${median(ours).toFixed(0)} ms, docker CLI ${median(cli).toFixed(0)} ms, ratio SSH/CLI ${(median(viaSsh) / median(cli)).toFixed(2)} ` +
        `(inspects/CLI ${(median(ours) / median(cli)).toFixed(2)}); update after one docker volume create ${median(updates).toFixed(0)} ms (runs: ${updates.map((u) => u.toFixed(0)).join(', ')}); ` +
        `vSphere round trips per refresh ${median(trips)}`;
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
    shell.close();
    await session.close();
  }
  console.log(
    `\nvolumes-refresh (median of ${runs}; goals: first load with SSH ≤ 1 s and ≤ 0.1 × the CLI at 1,000, update ≤ 100 ms not growing with the count)\n${rows.join('\n')}`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
