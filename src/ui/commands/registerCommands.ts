import * as vscode from 'vscode';
import { CancelledError } from '../../core/abort';
import { errorMessage, UserError } from '../../core/errors';
import { decodeArgs } from '../commandArgs';
import { commandContext } from '../commandContext';
import { Services } from '../services';
import { BACKUP_COMMANDS } from './backupCommands';
import { CommandTable, Handler } from './commandTable';
import { DOCKER_COMMANDS } from './dockerCommands';
import { ESXI_COMMANDS } from './esxiCommands';
import { LAB_COMMANDS } from './labCommands';
import { VIB_COMMANDS } from './vibCommands';
import { VOLUME_COMMANDS } from './volumeCommands';

/**
 * Every command of the extension, from one table per feature. Each runs through `wrap`, which logs
 * failures and shows them once, so a command file only throws (UserError for what the user can act on).
 */
const COMMANDS: CommandTable = {
  'vdvs.showLog': ({ services }) => services.log.show(),
  ...ESXI_COMMANDS,
  ...VIB_COMMANDS,
  ...DOCKER_COMMANDS,
  ...VOLUME_COMMANDS,
  ...BACKUP_COMMANDS,
  ...LAB_COMMANDS,
};

/** Runs a command by id with what VS Code passed; the activation shell registered the ids (package.json's). */
export type CommandRunner = (id: string, args: unknown[]) => Promise<unknown>;

export function commandRunner(services: Services): CommandRunner {
  const wrapped = new Map(Object.entries(COMMANDS).map(([id, handler]) => [id, wrap(services, id, handler)]));
  return (id, args) => {
    const run = wrapped.get(id);
    if (!run) throw new Error(`command ${id} is contributed in package.json but has no handler`);
    return run(...args);
  };
}

/** The command ids that have a handler (the in-editor activation test holds them equal to package.json's commands). */
export const COMMAND_IDS: readonly string[] = Object.keys(COMMANDS);

/**
 * Decodes the arguments once (`decodeArgs`: node, input), runs the handler, and reports a failure
 * once: logged, then shown through the command's seam, so a test's prompter sees it. A caller that
 * passed its own prompter also gets the failure back (the command rejects); cancel stays undefined.
 */
function wrap(services: Services, id: string, handler: Handler) {
  return async (...args: unknown[]) => {
    const { node, input } = decodeArgs(args);
    const ctx = commandContext(services, input);
    try {
      return await handler(ctx, node);
    } catch (err) {
      if (err instanceof vscode.CancellationError || err instanceof CancelledError) return undefined;
      services.log.error(`${id}: ${err instanceof Error && !(err instanceof UserError) ? (err.stack ?? err.message) : errorMessage(err)}`);
      void ctx.ui.notify('error', errorMessage(err), 'Show Log').then((pick) => pick && services.log.show());
      if (input.prompter) throw err;
      return undefined;
    }
  };
}
