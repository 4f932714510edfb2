import * as vscode from 'vscode';
import { EsxiHostConfig } from '../../../core/config';
import { InstallFlags } from '../../../core/esx/esxcli';
import { describeVib, readVibFile, VDVS_VIB_NAME, VibFileInfo } from '../../../core/esx/vibFile';
import { installVib, InstallOutcome, upgradeVib } from '../../../core/esx/vibFlow';
import { UploadProgress } from '../../../core/ssh/sftpUpload';
import { Services } from '../../services';
import { refreshEsxiHost } from '../../trees/esxiHostsView';
import { reachState } from '../../walkthroughState';
import { resolveHost } from '../esxi/hostArg';
import { configureSsh } from './configureSsh';
import { askHostdRestart, splitArg, VibCommandInput, withVibSession } from './vibSession';

/** "Install vDVS VIB…": pick a .vib or offline bundle, show its descriptor, upload, install, verify. */
export function installVibCommand(services: Services, arg?: unknown): Promise<InstallOutcome | undefined> {
  return installOrUpgrade(services, arg, 'install');
}

/** Install and upgrade share everything but the flow: pick, confirm, upload with progress, report. */
export async function installOrUpgrade(
  services: Services,
  arg: unknown,
  action: 'install' | 'upgrade',
): Promise<InstallOutcome | undefined> {
  const { hostArg, input } = splitArg(arg);
  let host = await resolveHost(services, hostArg, `ESXi host to ${action} the vDVS VIB on`);
  if (!host.ssh) {
    const configured = await offerSshSetup(services, host);
    if (!configured) return undefined;
    host = configured;
  }
  const file = await readVibFile(input.vibPath ?? (await pickVibFile()));
  const flags = await confirmVib(host, file, input, action);
  if (!flags) return undefined;
  const verb = action === 'install' ? 'Installing' : 'Upgrading to';
  const outcome = await withVibSession(
    services,
    host,
    `${verb} ${file.descriptor.name} ${file.descriptor.version} on ${host.name}`,
    (ctx, progress) => {
      const request = {
        file,
        flags,
        onProgress: uploadReporter(progress, file.fileName),
        confirmHostdRestart: () => askHostdRestart(host, input.restartHostd),
      };
      return action === 'install' ? installVib(ctx, request) : upgradeVib(ctx, request);
    },
  );
  refreshEsxiHost(services, host.id);
  const installed = outcome.status.installed!;
  reachState('vibInstalled'); // the status read after the install found it
  const service = outcome.status.processes.length ? 'the vmdk_ops service runs' : 'the vmdk_ops service starts when hostd restarts';
  const from = outcome.replaced ? ` (replaced ${outcome.replaced})` : '';
  services.log.info(`${host.name}: ${installed.name} ${installed.version} installed${from}; ${service}`);
  void vscode.window.showInformationMessage(`${installed.name} ${installed.version} is installed on ${host.name}${from}; ${service}.`);
  return outcome;
}

async function offerSshSetup(services: Services, host: EsxiHostConfig): Promise<EsxiHostConfig | undefined> {
  const configure = 'Configure SSH…';
  const pick = await vscode.window.showWarningMessage(
    `The VIB is installed over SSH, and SSH to ${host.name} is not set up yet.`,
    configure,
  );
  return pick === configure ? configureSsh(services, { hostId: host.id }) : undefined;
}

async function pickVibFile(): Promise<string> {
  const picked = await vscode.window.showOpenDialog({
    title: 'vDVS VIB or offline bundle',
    openLabel: 'Read VIB',
    canSelectMany: false,
    filters: { 'VIB or offline bundle': ['vib', 'zip'], 'All files': ['*'] },
  });
  if (!picked?.[0]) throw new vscode.CancellationError();
  return picked[0].fsPath;
}

/** Shows the descriptor before anything happens; returns the esxcli flags the user chose, or undefined. */
async function confirmVib(
  host: EsxiHostConfig,
  file: VibFileInfo,
  input: VibCommandInput,
  action: 'install' | 'upgrade',
): Promise<InstallFlags | undefined> {
  const chosen: InstallFlags = { noSigCheck: input.noSigCheck, force: input.force };
  if (input.confirmed) return chosen;
  const warnings = [
    ...(file.descriptor.name !== VDVS_VIB_NAME ? [`This VIB is ${file.descriptor.name}, not the vDVS VIB ${VDVS_VIB_NAME}.`] : []),
    ...(file.descriptor.acceptanceLevel === 'CommunitySupported'
      ? ['CommunitySupported VIBs are refused by hosts at a higher acceptance level (vDVS #764).']
      : []),
  ];
  const go = action === 'install' ? 'Install' : 'Upgrade';
  const withOptions = `${go} with Options…`;
  const pick = await vscode.window.showInformationMessage(
    `${action === 'install' ? 'Install' : 'Upgrade to'} ${file.descriptor.name} ${file.descriptor.version} on ${host.name}?`,
    {
      modal: true,
      detail: [
        ...describeVib(file),
        ...warnings,
        '',
        `It is uploaded to /tmp over SFTP, installed with esxcli, and removed from /tmp afterwards.${action === 'upgrade' ? ` The installed ${VDVS_VIB_NAME} is removed first.` : ''}`,
      ].join('\n'),
    },
    go,
    withOptions,
  );
  if (pick === go) return chosen;
  if (pick !== withOptions) return undefined;
  const options = await vscode.window.showQuickPick(
    [
      { label: '--no-sig-check', description: 'accept an unsigned VIB (vDVS development builds)', flag: 'noSigCheck' as const },
      { label: '--force', description: 'skip dependency and acceptance-level checks; only for a VIB you trust', flag: 'force' as const },
    ],
    { canPickMany: true, title: 'esxcli options', placeHolder: 'Pick the options to pass to esxcli software vib install' },
  );
  if (!options) return undefined;
  return { noSigCheck: options.some((o) => o.flag === 'noSigCheck'), force: options.some((o) => o.flag === 'force') };
}

/** Upload progress as percent increments and MB/s. */
function uploadReporter(progress: vscode.Progress<{ message?: string; increment?: number }>, fileName: string) {
  let reported = 0;
  return (p: UploadProgress) => {
    const percent = p.total ? (100 * p.bytes) / p.total : 100;
    progress.report({
      message: `Uploading ${fileName}: ${percent.toFixed(0)}% · ${(p.bytesPerSecond / 1e6).toFixed(1)} MB/s`,
      increment: percent - reported,
    });
    reported = percent;
  };
}
