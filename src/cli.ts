import { parseArgs } from 'node:util';
import { CancelledError } from './core/abort';
import { CliConfig, loadCliConfig, loadCliSecrets } from './core/backup/cliConfig';
import { TOOL } from './core/backup/tool';
import { repositoryOfRef, RepositoryOf, storeOfJob } from './core/backup/backupStores';
import { FolderStore } from './core/backup/folderStore';
import { displayUrl } from './core/backup/restic/resticCli';
import { resticRepository } from './core/backup/restic/repositorySecrets';
import { ResticStore } from './core/backup/restic/resticStore';
import { BackupStore } from './core/backup/store';
import { MANIFEST_FILE } from './core/backup/manifest';
import { formatBytes, formatProgress, Progress } from './core/backup/progress';
import { Reporter } from './core/backup/reporter';
import { describePlan, restoreBackup, RestorePlan } from './core/backup/restore';
import { recoverJob, runBackupJob, summaryLines } from './core/backup/runJob';
import { describeProblem } from './core/backup/verify';
import { DockerConnection } from './core/docker/connection';
import { pluginAliasOf } from './core/docker/plugin';
import { errorMessage, UserError } from './core/errors';
import { applyFix, DoctorReport, runDoctor } from './core/doctor/doctor';
import { DoctorTargets } from './core/doctor/collect';
import { formatReport } from './core/doctor/report';
import { shellQuote } from './core/shellQuote';
import { SshSession } from './core/ssh/shellSession';
import { connectToHost } from './core/vsphere/connect';
import { VsphereSession } from './core/vsphere/session';

const USAGE = `Usage: vdvs <command> [options]

Commands:
  backup  --config FILE [--job NAME]...        run the config's backup jobs (all, or the named ones)
  recover --config FILE [--job NAME]...        after a crash: start again the containers a dead run stopped,
                                               remove its helper containers, leftovers, lock and snapshots
  restore --config FILE --backup BACKUP --volume NAME [--docker-host NAME] [--existing [--overwrite]] [--esxi-host NAME] [--yes]
                                               restore a backup into a new volume (default) or an existing one;
                                               a new volume is shown first and created only with --yes
  verify  BACKUP...                            recompute every hash of the given backups (a repository's: restic check too)
  ls      --config FILE | --destination DIR | --repository URL
                                               list backups (and leftovers of interrupted runs, damaged backups)
  doctor  --config FILE [--json] [--fix ID [--yes]]
                                               find what vDVS left broken on every configured host (stale attaches,
                                               orphan VMDKs, leftover snapshots and helpers, VIB/plugin versions);
                                               exit 1 when something is wrong. --fix shows a fix, --yes runs it
  BACKUP is a backup folder, or REPOSITORY#HOST/VOLUME/KEY for one in a restic repository (as vdvs ls prints it)
  --version, --help

Options:
  --secrets FILE   (mode 600) JSON {"esxiHosts": {"<name>": {"password": "…"}}, "dockerHosts": {"<name>": {"sshPassphrase": "…"}},
                   "repositories": {"<url>": {"password": "…", "restUser": "…", "restPassword": "…", "env": {"AWS_ACCESS_KEY_ID": "…"}}}}
  Environment:     VDVS_ESXI_PASSWORD_<HOST>, VDVS_SSH_PASSPHRASE_<HOST> (host name upper-cased, other characters as _);
                   RESTIC_PASSWORD for a repository the secrets file does not name
  --quiet          only warnings, errors and the summary

Exit status: 0 success, 1 failure (a message says why), 2 bad usage, 130 interrupted.
`;

const OPTIONS = {
  config: { type: 'string' },
  secrets: { type: 'string' },
  job: { type: 'string', multiple: true },
  backup: { type: 'string' },
  volume: { type: 'string' },
  'docker-host': { type: 'string' },
  'esxi-host': { type: 'string' },
  existing: { type: 'boolean' },
  overwrite: { type: 'boolean' },
  yes: { type: 'boolean' },
  destination: { type: 'string' },
  repository: { type: 'string' },
  quiet: { type: 'boolean' },
  json: { type: 'boolean' },
  fix: { type: 'string' },
  help: { type: 'boolean' },
  version: { type: 'boolean' },
} as const;

class UsageError extends Error {}

/** The headless `vdvs` command line over src/core, for cron jobs. */
async function main(argv: string[], signal: AbortSignal): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.version) {
    process.stdout.write(`${TOOL.version}\n`);
    return 0;
  }
  if (values.help || !command || command === 'help') {
    process.stdout.write(USAGE);
    return command || values.help ? 0 : 2;
  }
  const reporter = stderrReporter(!!values.quiet);
  switch (command) {
    case 'backup':
    case 'recover': {
      const config = await loadCliConfig(need(values.config, '--config'));
      const secrets = await loadCliSecrets(values.secrets, process.env);
      const wanted = values.job ?? [];
      const unknown = wanted.filter((n) => !config.jobs.some((j) => j.name === n));
      if (unknown.length)
        throw new UserError(
          `No job named ${unknown.join(', ')} in the config.`,
          `Jobs: ${config.jobs.map((j) => j.name).join(', ') || 'none'}.`,
        );
      const jobs = wanted.length ? config.jobs.filter((j) => wanted.includes(j.name)) : config.jobs;
      if (!jobs.length) throw new UserError('The config has no jobs.', 'Add one under "jobs" (see the README).');
      let ok = true;
      for (const job of jobs) {
        reporter.step(`Job ${job.name}`);
        const conn = await dockerConnection(config, job.dockerHost, secrets);
        const session = lazySession(config, job.esxiHost ?? conn.host.esxiHostId, secrets);
        try {
          const store = await storeOfJob(job, repositories(config, secrets));
          const jobCtx = { conn, store, vsphere: session.get, vmName: conn.host.vmName, signal, reporter };
          if (command === 'recover') {
            await recoverJob(job, jobCtx);
            process.stdout.write(`Recovered job ${job.name}.\n`);
            continue;
          }
          const summary = await runBackupJob(job, jobCtx);
          for (const line of summaryLines(summary)) process.stdout.write(`${line}\n`);
          ok &&= summary.ok;
        } catch (err) {
          if (err instanceof CancelledError) throw err;
          ok = false;
          process.stderr.write(`vdvs: error: job ${job.name}: ${errorMessage(err)}\n`);
        } finally {
          conn.close();
          await session.close();
        }
      }
      return ok ? 0 : 1;
    }
    case 'restore': {
      const config = await loadCliConfig(need(values.config, '--config'));
      const secrets = await loadCliSecrets(values.secrets, process.env);
      const backupDir = need(values.backup, '--backup');
      const backup = await openBackup(backupDir, config, secrets, values.repository, signal);
      const hostName =
        values['docker-host'] ?? (config.dockerHosts.length === 1 ? config.dockerHosts[0].name : need(undefined, '--docker-host'));
      if (values.overwrite && !values.existing) throw new UsageError('--overwrite only applies with --existing');
      const conn = await dockerConnection(config, hostName, secrets);
      const session = lazySession(config, values['esxi-host'] ?? conn.host.esxiHostId, secrets);
      try {
        // what a new volume gets is printed first, and created only with --yes
        const confirm = async (plan: RestorePlan) => {
          process.stdout.write(
            `Restore ${backupDir} into a new volume on ${plan.dockerHost}:\n${describePlan(plan)
              .map((l) => `  ${l}\n`)
              .join('')}`,
          );
          return !!values.yes;
        };
        await restoreBackup({
          conn,
          backup,
          volume: need(values.volume, '--volume'),
          target: values.existing ? 'existing' : 'new',
          allowNonEmpty: !!values.overwrite,
          pluginAlias: pluginAliasOf(conn),
          vsphere: session.get,
          confirm,
          signal,
          reporter,
        });
      } finally {
        conn.close();
        await session.close();
      }
      process.stdout.write(`Restored ${backupDir} into ${values.volume}.\n`);
      return 0;
    }
    case 'verify': {
      if (!rest.length) throw new UsageError('verify needs one or more backups (folders, or REPOSITORY#… as vdvs ls prints them)');
      const config = values.config ? await loadCliConfig(values.config) : undefined;
      const secrets = await loadCliSecrets(values.secrets, process.env);
      let ok = true;
      for (const ref of rest) {
        const backup = await openBackup(ref, config, secrets, values.repository, signal);
        const report = await backup.verify({ signal, onProgress: (p) => reporter.progress(p) });
        if (report.ok) process.stdout.write(`ok     ${ref}: ${report.checked} file(s), ${formatBytes(report.bytes)}\n`);
        for (const p of report.problems) process.stdout.write(`${ref}: error: ${describeProblem(p)}\n`);
        ok &&= report.ok;
      }
      return ok ? 0 : 1;
    }
    case 'ls': {
      const secrets = await loadCliSecrets(values.secrets, process.env);
      const config =
        values.destination || values.repository
          ? undefined
          : await loadCliConfig(need(values.config, '--config, --destination or --repository'));
      const stores: BackupStore[] = values.destination
        ? [new FolderStore(values.destination)]
        : values.repository
          ? [new ResticStore(await repositories(config, secrets)(values.repository))]
          : await Promise.all(
              [...new Map(config!.jobs.map((j) => [j.repository ?? `folder:${j.destination}`, j])).values()].map((j) =>
                storeOfJob(j, repositories(config, secrets)),
              ),
            );
      for (const store of stores) {
        const volumes = await store.listAll();
        for (const v of volumes) {
          process.stdout.write(`${v.dockerHost}/${v.volume}\n`);
          for (const b of v.backups)
            process.stdout.write(
              `  ${b.timestamp}  ${b.manifest.mode.padEnd(8)} ${formatBytes(b.manifest.totalBytes).padStart(10)}  ${b.dir}\n`,
            );
          for (const l of v.leftovers) process.stdout.write(`  leftover ${l.dir}: ${l.reason}\n`);
          for (const d of v.damaged) process.stdout.write(`  damaged  ${d.dir}: ${d.reason}\n`);
          for (const dir of v.ignored) process.stdout.write(`  ignored  ${dir}: not a vdvs backup (no ${MANIFEST_FILE})\n`);
        }
        if (!volumes.some((v) => v.backups.length)) process.stdout.write(`no backups in ${store.label}\n`);
      }
      return 0;
    }
    case 'doctor': {
      const configPath = need(values.config, '--config');
      const config = await loadCliConfig(configPath);
      const secrets = await loadCliSecrets(values.secrets, process.env);
      const { targets, close } = doctorTargets(config, secrets, signal);
      const options = { doctorCommand: `vdvs doctor --config ${shellQuote(configPath)}` };
      try {
        if (values.fix) {
          const outcome = await applyFix(
            targets,
            values.fix,
            async (fix, finding) => {
              process.stdout.write(`${finding.title}\nFix ${fix.id}: ${fix.label}\n  ${fix.describe}\n  equivalent: ${fix.cli}\n`);
              if (!values.yes) process.stdout.write('Not done: run again with --yes to do it.\n');
              return !!values.yes;
            },
            options,
          );
          if (!outcome) return 1;
          process.stdout.write(`Done: ${outcome.message}. Checked again: the finding is gone.\n`);
          if (values.json) process.stdout.write(`${JSON.stringify(doctorJson(outcome.after), null, 2)}\n`);
          return outcome.after.wrong ? 1 : 0;
        }
        const report = await runDoctor(targets, options);
        process.stdout.write(values.json ? `${JSON.stringify(doctorJson(report), null, 2)}\n` : formatReport(report));
        return report.wrong ? 1 : 0;
      } finally {
        await close();
      }
    }
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

type Secrets = Awaited<ReturnType<typeof loadCliSecrets>>;

/** Repositories as restic is given them: the secrets file's (or RESTIC_PASSWORD), the config's resticPath. */
function repositories(config: CliConfig | undefined, secrets: Secrets): RepositoryOf {
  return async (url, options) =>
    resticRepository(url, secrets.repository(url), {
      ...(options ? { options } : {}),
      ...(config?.resticPath ? { program: config.resticPath } : {}),
    });
}

/**
 * A backup named as vdvs ls prints it: a folder, or REPOSITORY#HOST/VOLUME/KEY. The repository part
 * is as shown (a REST password masked): the config's job with that repository gives the real one.
 */
async function openBackup(ref: string, config: CliConfig | undefined, secrets: Secrets, given: string | undefined, signal: AbortSignal) {
  const shown = repositoryOfRef(ref);
  if (!shown) return new FolderStore(ref).open(ref);
  const job = config?.jobs.find((j) => j.repository && displayUrl(j.repository) === shown);
  const url = given ?? job?.repository ?? shown;
  const store = new ResticStore(await repositories(config, secrets)(url, job?.resticOptions));
  signal.throwIfAborted();
  return store.open(ref);
}

function need(value: string | undefined, option: string): string {
  if (!value) throw new UsageError(`missing ${option}`);
  return value;
}

async function dockerConnection(
  config: CliConfig,
  name: string,
  secrets: Awaited<ReturnType<typeof loadCliSecrets>>,
): Promise<DockerConnection> {
  const host = config.dockerHosts.find((h) => h.name === name);
  if (!host)
    throw new UserError(
      `No Docker host named ${name} in the config.`,
      `Docker hosts: ${config.dockerHosts.map((h) => h.name).join(', ') || 'none'}.`,
    );
  return DockerConnection.open(host, {
    timeoutMs: config.requestTimeoutSeconds * 1000,
    secrets: { sshPassphrase: secrets.sshPassphrase(host) },
    caBundlePath: config.caBundlePath,
    pluginAlias: host.pluginAlias,
  });
}

/** Logs in only when a snapshot job or restore needs it; close() logs out if it did. */
function lazySession(config: CliConfig, esxiName: string | undefined, secrets: Awaited<ReturnType<typeof loadCliSecrets>>) {
  let session: Promise<VsphereSession> | undefined;
  return {
    get: esxiName
      ? () => {
          const host = config.esxiHosts.find((h) => h.name === esxiName || h.id === esxiName);
          if (!host)
            throw new UserError(
              `No ESXi host named ${esxiName} in the config.`,
              `ESXi hosts: ${config.esxiHosts.map((h) => h.name).join(', ') || 'none'}.`,
            );
          session ??= connectToHost(host, secrets.esxiPassword(host), {
            timeoutMs: config.requestTimeoutSeconds * 1000,
            caBundlePath: config.caBundlePath,
          });
          return session;
        }
      : undefined,
    close: async () => {
      if (session) await (await session.catch(() => undefined))?.close().catch(() => undefined);
    },
  };
}

/**
 * Every configured host for the doctor: Docker connections opened on first use, one lazy vSphere
 * session per ESXi host, its SSH shell when the host has "ssh" (a password login uses its password).
 */
function doctorTargets(config: CliConfig, secrets: Secrets, signal: AbortSignal): { targets: DoctorTargets; close: () => Promise<void> } {
  const timeoutMs = config.requestTimeoutSeconds * 1000;
  const conns: Promise<DockerConnection>[] = [];
  const sessions: Array<{ close: () => Promise<void> }> = [];
  const shells: Promise<SshSession>[] = [];
  const once = <T>(open: () => Promise<T>, keep: Promise<T>[]) => {
    let p: Promise<T> | undefined;
    return () => {
      if (!p) keep.push((p = open()));
      return p;
    };
  };
  const targets: DoctorTargets = {
    timeoutMs,
    signal,
    docker: config.dockerHosts.map((host) => ({
      host,
      ...(host.vmName ? { vmName: host.vmName } : {}),
      connection: once(() => dockerConnection(config, host.name, secrets), conns),
    })),
    esxi: config.esxiHosts.map((host) => {
      const session = lazySession(config, host.name, secrets);
      sessions.push(session);
      const ssh = host.ssh;
      return {
        config: host,
        session: session.get!,
        ...(ssh
          ? {
              ssh: once(
                () =>
                  SshSession.open(
                    { ...ssh, ...(ssh.auth === 'password' ? { secret: secrets.esxiPassword(host) } : {}) },
                    { timeoutMs, signal },
                  ),
                shells,
              ),
            }
          : {}),
      };
    }),
  };
  const close = async () => {
    for (const c of conns) (await c.catch(() => undefined))?.close();
    for (const s of shells) (await s.catch(() => undefined))?.close();
    for (const s of sessions) await s.close();
  };
  return { targets, close };
}

/** The doctor's JSON: what each host showed, the findings with their fixes, and whether anything is wrong. */
function doctorJson(report: DoctorReport) {
  return {
    ok: !report.wrong,
    esxiHosts: report.facts.esxi.map((e) => ({
      name: e.hostName,
      datastores: e.datastores.map((d) => d.name),
      vms: e.vms.length,
      ...(e.vib ? { vib: e.vib } : {}),
      ...(e.error ? { error: e.error } : {}),
    })),
    dockerHosts: report.facts.docker.map((d) => ({
      name: d.hostName,
      volumes: d.volumes.length,
      plugin: d.plugin?.installed ? { name: d.plugin.name, version: d.plugin.version, enabled: d.plugin.enabled } : null,
      ...(d.error ? { error: d.error } : {}),
    })),
    findings: report.findings,
  };
}

/** Steps and warnings on stderr (stdout stays for results); progress at most every few seconds. Quiet: warnings only. */
function stderrReporter(quiet: boolean): Reporter {
  let last = 0;
  return {
    step: (m) => {
      if (!quiet) process.stderr.write(`vdvs: ${m}\n`);
    },
    warn: (m) => process.stderr.write(`vdvs: warning: ${m}\n`),
    progress: (p: Progress) => {
      if (quiet || Date.now() - last < 5000) return;
      last = Date.now();
      process.stderr.write(`vdvs: ${formatProgress(p)}\n`);
    },
  };
}

const controller = new AbortController();
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    process.stderr.write(`vdvs: ${sig}: cancelling and cleaning up…\n`);
    controller.abort();
  });
}

main(process.argv.slice(2), controller.signal).then(
  (code) => (process.exitCode = code),
  (err) => {
    if (err instanceof UsageError) {
      process.stderr.write(`vdvs: ${err.message}\n${USAGE}`);
      process.exitCode = 2;
    } else if (err instanceof CancelledError || controller.signal.aborted) {
      process.stderr.write('vdvs: cancelled\n');
      process.exitCode = 130;
    } else {
      process.stderr.write(`vdvs: error: ${errorMessage(err)}\n`);
      process.exitCode = 1;
    }
  },
);
