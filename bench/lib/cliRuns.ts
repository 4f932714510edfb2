import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const CLI = join(__dirname, '../../../dist/cli.js');
const SELF_RSS = join(__dirname, '../probes/selfRss.js');

export const seconds = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;

export interface CliRun {
  /** Peak RSS of the CLI process alone, and of it or any child it waited for (restic), in MB. */
  selfRssMb: number;
  maxRssMb: number;
  seconds: number;
  stderr: string;
}

/** `vdvs <args>` under /usr/bin/time; throws when it fails. */
export function cliRun(args: string[], env: NodeJS.ProcessEnv = process.env): CliRun {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', 'MAXRSS %M', process.execPath, '--require', SELF_RSS, CLI, ...args], {
    encoding: 'utf8',
    env,
  });
  const took = seconds(t0);
  if (r.status !== 0) throw new Error(`vdvs ${args[0]} failed (${r.status}): ${r.stderr}`);
  const kb = (re: RegExp) => Number(re.exec(r.stderr)?.[1]) / 1024;
  return { selfRssMb: kb(/SELF_MAXRSS_KB (\d+)/), maxRssMb: kb(/MAXRSS (\d+)/), seconds: took, stderr: r.stderr };
}

/** The CLI's backup of one job (`--quiet`). */
export function cliBackup(config: string, job: string, extra: string[] = []): CliRun {
  return cliRun(['backup', '--config', config, '--job', job, '--quiet', ...extra]);
}

/**
 * The lab's stand-in plugin sometimes fails a disk attach with InvalidDeviceSpec while other suites
 * attach disks to the same VM at the same time: one retry, said out loud, keeps the bench usable.
 */
export function labRetry<T>(work: () => T, failure: (r: T) => string | undefined = () => undefined): T {
  for (let attempt = 1; ; attempt++) {
    let message: string;
    try {
      const r = work();
      const m = failure(r);
      if (!m || !/InvalidDeviceSpec/.test(m) || attempt > 1) return r;
      message = m;
    } catch (err) {
      message = String((err as Error).message);
      if (!/InvalidDeviceSpec/.test(message) || attempt > 1) throw err;
    }
    console.log(`(lab: disk attach refused with InvalidDeviceSpec, retrying once: ${message.trim().split('\n').pop()})`);
  }
}
