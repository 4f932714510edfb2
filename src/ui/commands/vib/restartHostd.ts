import * as vscode from 'vscode';
import { restartHostd } from '../../../core/esx/vibFlow';
import { Services } from '../../services';
import { refreshEsxiHost } from '../../trees/esxiHostsView';
import { resolveHost } from '../esxi/hostArg';
import { splitArg, withVibSession } from './vibSession';

/** "Restart hostd": starts the vDVS service after an install, and waits until hostd answers again. */
export async function restartHostdCommand(services: Services, arg?: unknown): Promise<boolean> {
  const { hostArg, input } = splitArg(arg);
  const host = await resolveHost(services, hostArg, 'ESXi host whose hostd to restart');
  if (input.restartHostd === undefined) {
    const restart = 'Restart hostd';
    const pick = await vscode.window.showWarningMessage(
      `Restart hostd on ${host.name}?`,
      { modal: true, detail: 'Running VMs keep running, but vCenter shows the host as not responding for about a minute.' },
      restart,
    );
    if (pick !== restart) return false;
  } else if (!input.restartHostd) {
    return false;
  }
  await withVibSession(services, host, `Restarting hostd on ${host.name}`, (ctx) => restartHostd(ctx));
  refreshEsxiHost(services, host.id);
  void vscode.window.showInformationMessage(`hostd on ${host.name} is running again.`);
  return true;
}
