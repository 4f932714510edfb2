import * as vscode from 'vscode';
import { VDVS_VIB_NAME } from '../../../core/esx/vibFile';
import { VibStatus } from '../../../core/esx/vibFlow';
import { CommandContext } from '../../commandContext';
import { EsxiNode } from '../../trees/esxi/esxiNode';
import { readHostVibStatus } from '../../trees/esxi/vibNode';
import { resolveHost } from '../esxi/hostArg';

/** "Show vDVS VIB Status": the same reading as the tree's VIB node, as a message; returns it. */
export async function showVibStatusCommand(ctx: CommandContext, node?: EsxiNode): Promise<VibStatus> {
  const { services, ui } = ctx;
  const host = await resolveHost(ctx, node, 'ESXi host to check');
  const status = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: `Reading the VIB status of ${host.name}` },
    () => readHostVibStatus(services, host),
  );
  const vib = status.installed;
  const text = vib
    ? `${host.name}: ${vib.name} ${vib.version} (${vib.acceptanceLevel}, installed ${vib.installDate}); vmdk_ops service ${status.processes.length ? 'running' : 'not running — restart hostd'}.`
    : `${host.name}: ${VDVS_VIB_NAME} is not installed.`;
  services.log.info(text);
  void ui.notify('info', text);
  return status;
}
