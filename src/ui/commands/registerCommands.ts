import * as vscode from 'vscode';
import { CancelledError } from '../../core/abort';
import { errorMessage, UserError } from '../../core/errors';
import { Services } from '../services';
import { BACKUP_COMMANDS } from './backupCommands';
import { CommandTable, Handler } from './commandTable';
import { DOCKER_COMMANDS } from './dockerCommands';
import { ESXI_COMMANDS } from './esxiCommands';
import { VIB_COMMANDS } from './vibCommands';
import { VOLUME_COMMANDS } from './volumeCommands';

/**
 * Every command of the extension, from one table per feature. Each runs through `wrap`, which logs
 * failures and shows them once, so a command file only throws (UserError for what the user can act on).
 */
const COMMANDS: CommandTable = {
  'vdvs.showLog': (s) => s.log.show(),
  ...ESXI_COMMANDS,
  ...VIB_COMMANDS,
  ...DOCKER_COMMANDS,
  ...VOLUME_COMMANDS,
  ...BACKUP_COMMANDS,
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
      if (err instanceof vscode.CancellationError || err instanceof CancelledError) return undefined;
      services.log.error(`${id}: ${err instanceof Error && !(err instanceof UserError) ? (err.stack ?? err.message) : errorMessage(err)}`);
      void vscode.window.showErrorMessage(errorMessage(err), 'Show Log').then((pick) => pick && services.log.show());
      return undefined;
    }
  };
}
