import { restartHostd } from '../../../core/esx/vibFlow';
import { CommandContext } from '../../commandContext';
import { EsxiNode } from '../../trees/esxi/esxiNode';
import { refreshEsxiHost } from '../../trees/esxiHostsView';
import { resolveHost } from '../esxi/hostArg';
import { VibCommandInput, withVibSession } from './vibSession';

/** "Restart hostd": starts the vDVS service after an install, and waits until hostd answers again. */
export async function restartHostdCommand(ctx: CommandContext<VibCommandInput>, node?: EsxiNode): Promise<boolean> {
  const { services, ui, input } = ctx;
  const host = await resolveHost(ctx, node, 'ESXi host whose hostd to restart');
  if (input.restartHostd === undefined) {
    const restart = 'Restart hostd';
    const pick = await ui.confirm(
      `Restart hostd on ${host.name}?`,
      'Running VMs keep running, but vCenter shows the host as not responding for about a minute.',
      [restart],
    );
    if (pick !== restart) return false;
  } else if (!input.restartHostd) {
    return false;
  }
  await withVibSession(services, host, `Restarting hostd on ${host.name}`, (ctx) => restartHostd(ctx));
  refreshEsxiHost(services, host.id);
  void ui.notify('info', `hostd on ${host.name} is running again.`);
  return true;
}
