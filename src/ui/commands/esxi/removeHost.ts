import * as vscode from 'vscode';
import { esxiSessions } from '../../connections';
import { Services } from '../../services';
import { HostArg, resolveHost } from './hostArg';

/**
 * Removes a host and its stored secrets after a confirmation (not asked when the argument says
 * `confirmed: true`, as the VIB commands take it, for automation and tests).
 */
export async function removeHost(services: Services, arg?: HostArg | { hostId: string; confirmed?: boolean }): Promise<void> {
  const host = await resolveHost(services, arg, 'Host to remove');
  const remove = 'Remove';
  const confirmed = !!arg && 'confirmed' in arg && arg.confirmed === true;
  const pick = confirmed
    ? remove
    : await vscode.window.showWarningMessage(
        `Remove ${host.name} (${host.url}) from the ESXi Hosts view? Its stored password and SSH secrets are deleted too; nothing changes on the host.`,
        { modal: true },
        remove,
      );
  if (pick !== remove) return;
  await esxiSessions(services).drop(host.id);
  await services.hosts.remove('esxi', host.id);
  services.log.info(`ESXi host ${host.name} removed`);
}
