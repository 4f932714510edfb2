import * as vscode from 'vscode';
import { registerCommands } from './ui/commands/registerCommands';
import { createServices } from './ui/services';
import { registerBackupTasks } from './ui/tasks/backupTaskProvider';
import { TestApi, testApi } from './ui/testApi';
import { registerViews } from './ui/trees/registerViews';
import { registerWalkthroughState } from './ui/walkthroughState';

/**
 * Wires services and UI. Nothing heavy happens here: features load their libraries on first use.
 * Returns the test API only when VS Code runs the extension's tests.
 */
export function activate(context: vscode.ExtensionContext): TestApi | undefined {
  const services = createServices(context);
  registerViews(services);
  registerCommands(services);
  registerBackupTasks(services);
  registerWalkthroughState(services);
  services.log.info(`activated (${(context.extension.packageJSON as { version: string }).version})`);
  return testApi(services);
}

export function deactivate(): void {}
