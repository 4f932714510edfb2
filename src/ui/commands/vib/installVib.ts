import { CancelledError } from '../../../core/abort';
import * as vscode from 'vscode';
import { EsxiHostConfig } from '../../../core/config';
import { InstallFlags } from '../../../core/esx/esxcli';
import { describeVib, readVibFile, VDVS_VIB_NAME, VibFileInfo } from '../../../core/esx/vibFile';
import { installVib, InstallOutcome, upgradeVib } from '../../../core/esx/vibFlow';
import { UploadProgress } from '../../../core/ssh/sftpUpload';
import { CommandContext } from '../../commandContext';
import { EsxiNode } from '../../trees/esxi/esxiNode';
import { Prompter } from '../../prompter';
import { refreshEsxiHost } from '../../trees/esxiHostsView';
import { reachState } from '../../walkthroughState';
import { resolveHost } from '../esxi/hostArg';
import { configureSsh } from './configureSsh';
import { askHostdRestart, VibCommandInput, withVibSession } from './vibSession';

/** "Install vDVS VIB…": pick a .vib or offline bundle, show its descriptor, upload, install, verify. */
export function installVibCommand(ctx: CommandContext<VibCommandInput>, node?: EsxiNode): Promise<InstallOutcome | undefined> {
  return installOrUpgrade(ctx, node, 'install');
}

/** Install and upgrade share everything but the flow: pick, confirm, upload with progress, report. */
export async function installOrUpgrade(
  ctx: CommandContext<VibCommandInput>,
  node: EsxiNode | undefined,
  action: 'install' | 'upgrade',
): Promise<InstallOutcome | undefined> {
  const { services, ui, input } = ctx;
  let host = await resolveHost(ctx, node, `ESXi host to ${action} the vDVS VIB on`);
  if (!host.ssh) {
    const configured = await offerSshSetup(ctx, host);
    if (!configured) return undefined;
    host = configured;
  }
  const file = await readVibFile(input.vibPath ?? (await pickVibFile(ui)));
  const flags = await confirmVib(ui, host, file, input, action);
  if (!flags) return undefined;
  const verb = action === 'install' ? 'Installing' : 'Upgrading to';
  const outcome = await withVibSession(
    services,
    host,
    `${verb} ${file.descriptor.name} ${file.descriptor.version} on ${host.name}`,
    (flow, progress) => {
      const request = {
        file,
        flags,
        onProgress: uploadReporter(progress, file.fileName),
        confirmHostdRestart: () => askHostdRestart(ui, host, input.restartHostd),
      };
      return action === 'install' ? installVib(flow, request) : upgradeVib(flow, request);
    },
  );
  refreshEsxiHost(services, host.id);
  const installed = outcome.status.installed!;
  reachState('vibInstalled'); // the status read after the install found it
  const service = outcome.status.processes.length ? 'the vmdk_ops service runs' : 'the vmdk_ops service starts when hostd restarts';
  const from = outcome.replaced ? ` (replaced ${outcome.replaced})` : '';
  services.log.info(`${host.name}: ${installed.name} ${installed.version} installed${from}; ${service}`);
  void ui.notify('info', `${installed.name} ${installed.version} is installed on ${host.name}${from}; ${service}.`);
  return outcome;
}

async function offerSshSetup(ctx: CommandContext, host: EsxiHostConfig): Promise<EsxiHostConfig | undefined> {
  const configure = 'Configure SSH…';
  const pick = await ctx.ui.notify('warning', `The VIB is installed over SSH, and SSH to ${host.name} is not set up yet.`, configure);
  return pick === configure ? configureSsh({ ...ctx, input: { prompter: ctx.input.prompter, hostId: host.id } }) : undefined;
}

async function pickVibFile(ui: Prompter): Promise<string> {
  const picked = await ui.openFile({
    title: 'vDVS VIB or offline bundle',
    openLabel: 'Read VIB',
    filters: { 'VIB or offline bundle': ['vib', 'zip'], 'All files': ['*'] },
  });
  if (!picked) throw new CancelledError('Picking the VIB');
  return picked;
}

/** Shows the descriptor before anything happens; returns the esxcli flags the user chose, or undefined. */
async function confirmVib(
  ui: Prompter,
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
  const pick = await ui.confirm(
    `${action === 'install' ? 'Install' : 'Upgrade to'} ${file.descriptor.name} ${file.descriptor.version} on ${host.name}?`,
    [
      ...describeVib(file),
      ...warnings,
      '',
      `It is uploaded to /tmp over SFTP, installed with esxcli, and removed from /tmp afterwards.${action === 'upgrade' ? ` The installed ${VDVS_VIB_NAME} is removed first.` : ''}`,
    ].join('\n'),
    [go, withOptions],
  );
  if (pick === go) return chosen;
  if (pick !== withOptions) return undefined;
  const options = await ui.pickMany({
    id: 'esxcliOptions',
    title: 'esxcli options',
    step: 1,
    totalSteps: 1,
    placeholder: 'Pick the options to pass to esxcli software vib install',
    items: [
      { label: '--no-sig-check', description: 'accept an unsigned VIB (vDVS development builds)', value: 'noSigCheck' as const },
      { label: '--force', description: 'skip dependency and acceptance-level checks; only for a VIB you trust', value: 'force' as const },
    ],
  });
  if (!options) return undefined;
  return { noSigCheck: options.includes('noSigCheck'), force: options.includes('force') };
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
