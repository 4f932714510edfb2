/**
 * SFTP upload throughput: the extension's uploader (src/core/esx/upload.ts over ssh2) against
 * OpenSSH `scp` in the same run, 64 MiB to the lab's ESXi shell sshd. Target: ours ≥ 0.8 of scp.
 * Both timings include the SSH login, as scp's must.
 *   node out/bench/sftp-upload.js [--runs N] [--concurrency C --chunk BYTES]
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SshSession } from '../src/core/ssh/shellSession';
import { passwordTarget, readEsxLab } from '../test/fixtures/esxLab';
import { arg, median } from './lib/benchArgs';

const SIZE = 64 * 1024 * 1024;

async function main(): Promise<void> {
  const lab = await readEsxLab();
  const runs = arg('runs') ?? 3;
  const dir = mkdtempSync(join(tmpdir(), 'vdvs-bench-sftp-'));
  const file = join(dir, 'payload.bin');
  writeFileSync(file, randomBytes(SIZE));
  const remote = '/tmp/vdvs-bench-upload.bin';
  const open = () => SshSession.open(passwordTarget(lab), { timeoutMs: 15_000 });
  const cleaner = await open();
  const scpArgs = [
    '-q',
    '-P',
    String(lab.ssh.port),
    '-i',
    lab.ssh.keyPath,
    '-o',
    'BatchMode=yes',
    '-o',
    `UserKnownHostsFile=${join(lab.ssh.keyPath, '../known_hosts')}`,
    file,
    `${lab.ssh.user}@${lab.ssh.host}:${remote}`,
  ];
  const ours: number[] = [];
  const scp: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      // alternate, so both see the same machine load
      let started = process.hrtime.bigint();
      execFileSync('scp', scpArgs, { stdio: 'inherit' });
      scp.push(SIZE / (Number(process.hrtime.bigint() - started) / 1e9));
      await cleaner.removeFile(remote, 15_000);
      started = process.hrtime.bigint();
      const session = await open();
      await session.upload(file, remote, { stallMs: 15_000, concurrency: arg('concurrency'), chunkSize: arg('chunk') });
      session.close();
      ours.push(SIZE / (Number(process.hrtime.bigint() - started) / 1e9));
      await cleaner.removeFile(remote, 15_000);
    }
  } finally {
    cleaner.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const mb = (v: number) => (v / 1e6).toFixed(1);
  const ratio = median(ours) / median(scp);
  console.log(`sftp-upload: 64 MiB x ${runs} to ${lab.ssh.host}:${lab.ssh.port}`);
  console.log(`  scp (OpenSSH)     median ${mb(median(scp))} MB/s  runs ${scp.map(mb).join(', ')}`);
  console.log(`  ours (ssh2 SFTP)  median ${mb(median(ours))} MB/s  runs ${ours.map(mb).join(', ')}`);
  console.log(`  ratio ours/scp ${ratio.toFixed(2)} (target >= 0.80) ${ratio >= 0.8 ? 'OK' : 'BELOW TARGET'}`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
