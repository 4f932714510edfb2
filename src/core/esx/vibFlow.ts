import { CancelledError } from '../abort';
import { errorMessage, UserError } from '../errors';
import {
  HOSTD_RESTART_ARGV,
  HOSTD_STATUS_ARGV,
  InstallFlags,
  InstalledVib,
  InstallResult,
  parseInstallResult,
  parseVibList,
  PS_ARGV,
  VIB_LIST_ARGV,
  vibInstallArgv,
  vibRemoveArgv,
  vmdkProcesses,
} from './esxcli';
import { explainEsxcliFailure } from './explainEsxcli';
import { RunResult, SshSession } from '../ssh/shellSession';
import { UploadFailedError, UploadProgress, UploadResult } from '../ssh/sftpUpload';
import { VDVS_VIB_NAME, VibFileInfo } from './vibFile';

/** What every VIB flow needs: an open session (which logs every remote line), the per-call timeout and cancellation. */
export interface FlowContext {
  session: SshSession;
  /** vdvs.requestTimeoutSeconds, for quick calls; esxcli install/remove and hostd get at least LONG_MS. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Tells the user what is happening now (a progress message). */
  step?: (message: string) => void;
  /** A fresh session, to clean up after the connection dropped. */
  reopen?: () => Promise<SshSession>;
}

export interface VibStatus {
  installed?: InstalledVib;
  /** `ps -c` lines of the vDVS service (vmdk-opsd). */
  processes: string[];
}

export interface InstallRequest {
  file: VibFileInfo;
  flags: InstallFlags;
  onProgress?: (progress: UploadProgress) => void;
  /** Asked after a successful install; true restarts hostd (vDVS's admin CLI needs it). */
  confirmHostdRestart: () => Promise<boolean>;
}

export interface InstallOutcome {
  upload: UploadResult;
  result: InstallResult | undefined;
  hostdRestarted: boolean;
  status: VibStatus;
  /** Set by an upgrade: the version that was removed first. */
  replaced?: string;
}

// esxcli software vib install/remove takes tens of seconds on real hosts and hostd a minute to
// come back, far longer than a normal call: these get their own, longer bounds.
const LONG_MS = 5 * 60_000;
const HOSTD_BACK_MS = 3 * 60_000;
const HOSTD_POLL_MS = 1000;

export async function readVibStatus(ctx: FlowContext): Promise<VibStatus> {
  const list = await ctx.session.run(VIB_LIST_ARGV, { timeoutMs: ctx.timeoutMs, signal: ctx.signal });
  if (list.code !== 0) {
    throw new UserError(
      `"esxcli software vib list" failed on ${ctx.session.target.host} (exit ${list.code}): ${(list.stderr || list.stdout).trim().split('\n')[0] || 'no output'}`,
      'Check that this SSH login is an ESXi shell with esxcli (user root or an administrator).',
      'ESXCLI_FAILED',
    );
  }
  const installed = parseVibList(list.stdout).find((v) => v.name === VDVS_VIB_NAME);
  const ps = await ctx.session.run(PS_ARGV, { timeoutMs: ctx.timeoutMs, signal: ctx.signal });
  return { installed, processes: ps.code === 0 ? vmdkProcesses(ps.stdout) : [] };
}

/**
 * Uploads the VIB to /tmp, installs it, restarts hostd if the user agrees (and waits for it),
 * verifies with `vib list` and `ps -c`, and always removes the uploaded file.
 */
export async function installVib(ctx: FlowContext, request: InstallRequest): Promise<InstallOutcome> {
  const { file } = request;
  const remotePath = `/tmp/${file.fileName}`;
  ctx.step?.(`Uploading ${file.fileName}`);
  const upload = await uploadWithCleanup(ctx, file.path, remotePath, request.onProgress);
  try {
    ctx.step?.(`Installing ${file.descriptor.name} ${file.descriptor.version}`);
    const run = await ctx.session.run(vibInstallArgv(remotePath, file.kind, request.flags), {
      timeoutMs: Math.max(ctx.timeoutMs, LONG_MS),
      signal: ctx.signal,
    });
    const output = joined(run);
    if (run.code !== 0) throw explainEsxcliFailure('install', output, run.code);
    const result = parseInstallResult(output);
    if (result && result.installed.length === 0 && result.skipped.length > 0) {
      throw new UserError(
        `ESXi skipped the install: ${result.skipped.join(', ')} is already installed ("${result.message}").`,
        'Use "Upgrade VIB" to replace the installed version, or "Remove VIB" first.',
        'ALREADY_INSTALLED',
      );
    }
    const hostdRestarted = await request.confirmHostdRestart();
    if (hostdRestarted) await restartHostd(ctx);
    ctx.step?.('Verifying');
    const status = await readVibStatus(ctx);
    if (!status.installed) {
      throw new UserError(
        `esxcli reported success, but "esxcli software vib list" does not show ${VDVS_VIB_NAME}.`,
        'See the log for the esxcli output and /var/log/esxupdate.log on the host.',
        'VERIFY_FAILED',
      );
    }
    if (status.installed.version !== file.descriptor.version) {
      ctx.session.log(`installed version ${status.installed.version} differs from the file's ${file.descriptor.version}`, 'info');
    }
    return { upload, result, hostdRestarted, status };
  } finally {
    await removeUploaded(ctx, remotePath);
  }
}

/** Upgrade as vDVS documents it: remove esx-vmdkops-service, then install the new VIB. */
export async function upgradeVib(ctx: FlowContext, request: InstallRequest): Promise<InstallOutcome> {
  const before = await readVibStatus(ctx);
  if (!before.installed) {
    ctx.session.log(`${VDVS_VIB_NAME} is not installed; upgrading is a plain install`, 'info');
    return installVib(ctx, request);
  }
  ctx.step?.(`Removing ${VDVS_VIB_NAME} ${before.installed.version}`);
  await runRemove(ctx, false);
  try {
    return { ...(await installVib(ctx, request)), replaced: before.installed.version };
  } catch (err) {
    if (err instanceof CancelledError) throw err;
    throw new UserError(
      `The old VIB ${before.installed.version} was removed, but installing ${request.file.descriptor.version} failed: ${errorMessage(err)}`,
      'The host has no vDVS VIB now: Docker volumes on it fail until a VIB is installed. Fix the cause above and run "Install vDVS VIB…".',
      err instanceof UserError ? err.code : 'UPGRADE_FAILED',
      { cause: err },
    );
  }
}

export interface RemoveRequest {
  /** Adds --maintenance-mode (the way out of LiveInstallationError, vDVS #511). */
  maintenanceMode?: boolean;
  confirmHostdRestart: () => Promise<boolean>;
}

export async function removeVib(
  ctx: FlowContext,
  request: RemoveRequest,
): Promise<{ result: InstallResult | undefined; hostdRestarted: boolean; status: VibStatus }> {
  ctx.step?.(`Removing ${VDVS_VIB_NAME}`);
  const result = await runRemove(ctx, request.maintenanceMode ?? false);
  const hostdRestarted = await request.confirmHostdRestart();
  if (hostdRestarted) await restartHostd(ctx);
  ctx.step?.('Verifying');
  const status = await readVibStatus(ctx);
  if (status.installed) {
    throw new UserError(
      `esxcli reported success, but ${VDVS_VIB_NAME} ${status.installed.version} is still listed.`,
      'A reboot of the host may be needed to finish the removal.',
      'VERIFY_FAILED',
    );
  }
  return { result, hostdRestarted, status };
}

/** `/etc/init.d/hostd restart`, then polls `hostd status` until it says it is running again. */
export async function restartHostd(ctx: FlowContext): Promise<void> {
  ctx.step?.('Restarting hostd');
  const restart = await ctx.session.run(HOSTD_RESTART_ARGV, { timeoutMs: Math.max(ctx.timeoutMs, LONG_MS), signal: ctx.signal });
  if (restart.code !== 0)
    throw new UserError(
      `Restarting hostd failed (exit ${restart.code}): ${joined(restart).trim().split('\n')[0]}`,
      'Restart it from the host console (DCUI: Troubleshooting > Restart Management Agents).',
      'HOSTD',
    );
  ctx.step?.('Waiting for hostd to come back');
  const waitMs = Math.max(ctx.timeoutMs, HOSTD_BACK_MS);
  const deadline = Date.now() + waitMs;
  for (;;) {
    const status = await ctx.session.run(HOSTD_STATUS_ARGV, { timeoutMs: ctx.timeoutMs, signal: ctx.signal });
    if (status.code === 0 && /\bis running\b/i.test(status.stdout)) return;
    if (Date.now() > deadline)
      throw new UserError(
        `hostd did not come back within ${Math.round(waitMs / 1000)} s after the restart.`,
        'Check the host console; vCenter shows the host as not responding until hostd runs.',
        'HOSTD',
      );
    await sleep(HOSTD_POLL_MS, ctx.signal);
  }
}

async function runRemove(ctx: FlowContext, maintenanceMode: boolean): Promise<InstallResult | undefined> {
  const run = await ctx.session.run(vibRemoveArgv(VDVS_VIB_NAME, maintenanceMode), {
    timeoutMs: Math.max(ctx.timeoutMs, LONG_MS),
    signal: ctx.signal,
  });
  const output = joined(run);
  if (run.code !== 0) throw explainEsxcliFailure('remove', output, run.code);
  return parseInstallResult(output);
}

/** Uploads; when the upload fails with the partial file left (the connection died), removes it over a new session. */
async function uploadWithCleanup(
  ctx: FlowContext,
  localPath: string,
  remotePath: string,
  onProgress?: (p: UploadProgress) => void,
): Promise<UploadResult> {
  try {
    return await ctx.session.upload(localPath, remotePath, { signal: ctx.signal, onProgress, stallMs: Math.max(ctx.timeoutMs, 10_000) });
  } catch (err) {
    if (!(err instanceof UploadFailedError) || err.partialRemoved || !ctx.reopen) throw err;
    try {
      const fresh = await ctx.reopen();
      try {
        await fresh.removeFile(remotePath, ctx.timeoutMs);
      } finally {
        fresh.close();
      }
    } catch (cleanup) {
      ctx.session.log(`could not remove the partial ${remotePath}: ${errorMessage(cleanup)}`, 'info');
      throw err;
    }
    if (err.cause instanceof CancelledError) throw err.cause;
    throw new UploadFailedError(err.message, true, remotePath, err.cause);
  }
}

async function removeUploaded(ctx: FlowContext, remotePath: string): Promise<void> {
  try {
    await ctx.session.removeFile(remotePath, ctx.timeoutMs);
  } catch (err) {
    ctx.session.log(`could not remove the uploaded ${remotePath}: ${errorMessage(err)}`, 'info');
  }
}

function joined(run: RunResult): string {
  return `${run.stdout}\n${run.stderr}`;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(new CancelledError('Waiting for hostd'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
