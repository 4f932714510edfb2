import * as vscode from 'vscode';
import { errorMessage, UserError } from '../../core/errors';
import { Services } from '../services';
import { comingSoon } from './comingSoon';

type Handler = (services: Services, ...args: any[]) => unknown;

/**
 * Every command of the extension, in one list. Each runs through `wrap`, which logs failures and
 * shows them once, so a command file only throws (UserError for what the user can act on).
 */
const COMMANDS: Record<string, Handler> = {
  'vdvs.showLog': (s) => s.log.show(),
  'vdvs.esxi.addHost': comingSoon('Adding ESXi hosts'),
  'vdvs.esxi.refresh': comingSoon('The ESXi Hosts view'),
  'vdvs.vib.install': comingSoon('Installing the vDVS VIB'),
  'vdvs.docker.addHost': comingSoon('Adding Docker hosts'),
  'vdvs.docker.importContexts': comingSoon('Importing Docker contexts'),
  'vdvs.docker.refresh': comingSoon('The Docker Hosts view'),
  'vdvs.plugin.install': comingSoon('Installing the vSphere plugin'),
  'vdvs.volume.create': comingSoon('Creating volumes'),
  'vdvs.volumes.refresh': comingSoon('The Volumes view'),
};

export function registerCommands(services: Services): void {
  for (const [id, handler] of Object.entries(COMMANDS)) {
    services.context.subscriptions.push(vscode.commands.registerCommand(id, wrap(services, id, handler)));
  }
}

function wrap(services: Services, id: string, handler: Handler) {
  return async (...args: unknown[]) => {
    try {
      return await handler(services, ...args);
    } catch (err) {
      if (err instanceof vscode.CancellationError) return undefined;
      services.log.error(`${id}: ${err instanceof Error && !(err instanceof UserError) ? err.stack ?? err.message : errorMessage(err)}`);
      void vscode.window.showErrorMessage(errorMessage(err), 'Show Log').then((pick) => pick && services.log.show());
      return undefined;
    }
  };
}
