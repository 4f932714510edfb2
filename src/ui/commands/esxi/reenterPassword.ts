import * as vscode from 'vscode';
import { esxiSessions } from '../../connections';
import { Services } from '../../services';
import { esxiHostsTree } from '../../trees/esxiHostsView';
import { HostArg, resolveHost } from './hostArg';

/** Stores a new password for a host (after "wrong password") and reloads it. `password` is for automation. */
export async function reenterPassword(services: Services, arg?: HostArg & { password?: string }): Promise<void> {
  const host = await resolveHost(services, arg, 'Host whose password to re-enter');
  const password =
    arg?.password ??
    (await vscode.window.showInputBox({
      title: `Password for ${host.user}`,
      prompt: `Password of ${host.user} on ${host.name} (kept in VS Code secret storage)`,
      password: true,
      ignoreFocusOut: true,
    }));
  if (password === undefined) return;
  await services.hosts.setSecret('esxi', host.id, 'password', password);
  await esxiSessions(services).drop(host.id);
  esxiHostsTree(services).refreshHost(host.id);
}
