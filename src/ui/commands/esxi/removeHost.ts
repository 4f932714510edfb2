import * as vscode from 'vscode';
import { esxiSessions } from '../../connections';
import { Services } from '../../services';
import { HostArg, resolveHost } from './hostArg';

/** Removes a host and its stored password after a confirmation. */
export async function removeHost(services: Services, arg?: HostArg): Promise<void> {
  const host = await resolveHost(services, arg, 'Host to remove');
  const remove = 'Remove';
  const pick = await vscode.window.showWarningMessage(`Remove ${host.name} (${host.url}) from the ESXi Hosts view? Its stored password is deleted too; nothing changes on the host.`, { modal: true }, remove);
  if (pick !== remove) return;
  await esxiSessions(services).drop(host.id);
  await services.hosts.remove('esxi', host.id, ['password']);
  services.log.info(`ESXi host ${host.name} removed`);
}
