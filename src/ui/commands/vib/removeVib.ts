import { errorMessage, UserError } from '../../../core/errors';
import { VDVS_VIB_NAME } from '../../../core/esx/vibFile';
import { removeVib } from '../../../core/esx/vibFlow';
import { CommandContext } from '../../commandContext';
import { EsxiNode } from '../../trees/esxi/esxiNode';
import { refreshEsxiHost } from '../../trees/esxiHostsView';
import { resolveHost } from '../esxi/hostArg';
import { askHostdRestart, VibCommandInput, withVibSession } from './vibSession';

/**
 * "Remove VIB": `esxcli software vib remove -n esx-vmdkops-service` after a confirmation. When ESXi
 * answers LiveInstallationError (vDVS #511) it offers the retry with --maintenance-mode.
 */
export async function removeVibCommand(ctx: CommandContext<VibCommandInput>, node?: EsxiNode): Promise<boolean> {
  const { services, ui, input } = ctx;
  const host = await resolveHost(ctx, node, 'ESXi host to remove the vDVS VIB from');
  if (!input.confirmed) {
    const remove = 'Remove';
    const pick = await ui.confirm(
      `Remove ${VDVS_VIB_NAME} from ${host.name}?`,
      'Docker volumes of the VMs on this host stop working (errno=104, vDVS #602) until a vDVS VIB is installed again. The VMDKs on the datastores are kept.',
      [remove],
    );
    if (pick !== remove) return false;
  }
  try {
    await withVibSession(services, host, `Removing ${VDVS_VIB_NAME} from ${host.name}`, (ctx) =>
      removeVib(ctx, { maintenanceMode: input.maintenanceMode, confirmHostdRestart: () => askHostdRestart(ui, host, input.restartHostd) }),
    );
  } catch (err) {
    if (!(err instanceof UserError) || err.code !== 'MAINTENANCE_MODE' || input.maintenanceMode || input.confirmed) throw err;
    services.log.error(`vdvs.vib.remove: ${errorMessage(err)}`);
    const retry = 'Retry with --maintenance-mode';
    const pick = await ui.notify('error', errorMessage(err), retry);
    if (pick !== retry) return false;
    return removeVibCommand({ ...ctx, input: { ...input, hostId: host.id, confirmed: true, maintenanceMode: true } });
  } finally {
    refreshEsxiHost(services, host.id);
  }
  void ui.notify('info', `${VDVS_VIB_NAME} was removed from ${host.name}.`);
  return true;
}
