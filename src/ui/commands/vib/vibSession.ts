import * as vscode from 'vscode';
import { EsxiHostConfig } from '../../../core/config';
import { FlowContext } from '../../../core/esx/vibFlow';
import { openEsxiShell } from '../../connections';
import { requestTimeoutMs, Services } from '../../services';
import { HostArg } from '../esxi/hostArg';

/**
 * Answers for the VIB commands, for automation and tests: what is given is not asked. The install
 * descriptor is shown unless `confirmed` is true; hostd is restarted only if `restartHostd` is true
 * (asked when absent).
 */
export interface VibCommandInput {
  hostId?: string;
  vibPath?: string;
  noSigCheck?: boolean;
  force?: boolean;
  confirmed?: boolean;
  restartHostd?: boolean;
  maintenanceMode?: boolean;
}

/** Commands get a tree node (context menu), `{ hostId, … }` (error-node actions, automation) or nothing. */
export function splitArg(arg: unknown): { hostArg: HostArg; input: VibCommandInput } {
  if (arg && typeof arg === 'object' && !('getTreeItem' in arg))
    return { hostArg: 'hostId' in arg ? (arg as { hostId: string }) : undefined, input: arg };
  return { hostArg: arg as HostArg, input: {} };
}

/**
 * Runs a VIB flow in a cancellable progress notification: opens the session, hands the flow its
 * context (steps become progress messages) and closes the session whatever happens.
 */
export function withVibSession<T>(
  services: Services,
  host: EsxiHostConfig,
  title: string,
  work: (ctx: FlowContext, progress: vscode.Progress<{ message?: string; increment?: number }>) => Promise<T>,
): Thenable<T> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title, cancellable: true },
    async (progress, token) => {
      const controller = new AbortController();
      const subscription = token.onCancellationRequested(() => controller.abort());
      try {
        progress.report({ message: `Connecting to ${host.ssh?.host ?? host.name}` });
        const session = await openEsxiShell(services, host, controller.signal);
        try {
          const ctx: FlowContext = {
            session,
            timeoutMs: requestTimeoutMs(),
            signal: controller.signal,
            step: (message) => progress.report({ message }),
            reopen: () => openEsxiShell(services, host),
          };
          return await work(ctx, progress);
        } finally {
          session.close();
        }
      } finally {
        subscription.dispose();
      }
    },
  );
}

/** Asks before restarting hostd unless the input decided it. */
export async function askHostdRestart(host: EsxiHostConfig, decided?: boolean): Promise<boolean> {
  if (decided !== undefined) return decided;
  const restart = 'Restart hostd';
  const pick = await vscode.window.showWarningMessage(
    `Restart hostd on ${host.name} now?`,
    {
      modal: true,
      detail:
        'The vDVS service (vmdk_ops) starts with hostd: until hostd restarts, Docker volumes on this host fail. Running VMs keep running, but vCenter shows the host as not responding for about a minute.',
    },
    restart,
    'Later',
  );
  return pick === restart;
}
