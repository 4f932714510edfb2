import * as vscode from 'vscode';
import { EsxiHostConfig } from '../../../core/config';
import { FlowContext } from '../../../core/esx/vibFlow';
import { openEsxiShell } from '../../connections';
import { requestTimeoutMs, Services } from '../../services';
import { CommandInput } from '../../commandContext';
import { Prompter } from '../../prompter';

/**
 * Answers for the VIB commands, for automation and tests: what is given is not asked. The install
 * descriptor is shown unless `confirmed` is true; hostd is restarted only if `restartHostd` is true
 * (asked when absent).
 */
export interface VibCommandInput extends CommandInput {
  vibPath?: string;
  noSigCheck?: boolean;
  force?: boolean;
  confirmed?: boolean;
  restartHostd?: boolean;
  maintenanceMode?: boolean;
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
export async function askHostdRestart(ui: Prompter, host: EsxiHostConfig, decided?: boolean): Promise<boolean> {
  if (decided !== undefined) return decided;
  const restart = 'Restart hostd';
  const pick = await ui.confirm(
    `Restart hostd on ${host.name} now?`,
    'The vDVS service (vmdk_ops) starts with hostd: until hostd restarts, Docker volumes on this host fail. Running VMs keep running, but vCenter shows the host as not responding for about a minute.',
    [restart, 'Later'],
  );
  return pick === restart;
}
