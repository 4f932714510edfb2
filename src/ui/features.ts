import * as vscode from 'vscode';
import { updateLabContext, watchLabContext, wireLab } from './commands/lab/connectLab';
import { commandRunner, CommandRunner } from './commands/registerCommands';
import { createServices } from './services';
import { registerBackupTasks } from './tasks/backupTaskProvider';
import { TestApi, testApi } from './testApi';
import { registerViews, ViewProviders, Views } from './trees/registerViews';
import { registerWalkthroughState } from './walkthroughState';

/** What the activation shell (src/extension.ts) reaches once it has loaded this bundle. */
export interface Features {
  readonly run: CommandRunner;
  readonly providers: ViewProviders;
  readonly tasks: vscode.TaskProvider;
  readonly testApi: TestApi | undefined;
}

/**
 * Everything the extension does, built on first use: the first command, the first paint of a view or
 * the first task query loads dist/features.js and calls this once. The shell made the tree views
 * already (VS Code needs them at activation), so the views here fill them.
 */
export function start(context: vscode.ExtensionContext, views: Views): Features {
  const services = createServices(context);
  const providers = registerViews(services, views);
  const tasks = registerBackupTasks(services);
  registerWalkthroughState(services);
  context.subscriptions.push(watchLabContext());
  // `npm run try` starts the editor with VDVS_LAB_CONNECT=1: the lab is wired in before the user looks
  void updateLabContext().then((running) =>
    running && process.env.VDVS_LAB_CONNECT === '1'
      ? wireLab(services).catch((err: Error) => services.log.warn(`Local lab: ${err.message}`))
      : undefined,
  );
  // the shell activated without loading anything: this is when the extension's code arrives
  services.log.info(`activated (${(context.extension.packageJSON as { version: string }).version}): features loaded on first use`);
  return { run: commandRunner(services), providers, tasks, testApi: testApi(services) };
}
