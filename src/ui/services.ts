import * as vscode from 'vscode';
import { HostRegistry } from './hosts';

/** What every view and command needs; built once in activate(). Cheap: nothing heavy loads here. */
export interface Services {
  readonly context: vscode.ExtensionContext;
  readonly log: vscode.LogOutputChannel;
  readonly hosts: HostRegistry;
}

export function createServices(context: vscode.ExtensionContext): Services {
  const log = vscode.window.createOutputChannel('vSphere Docker Volumes', { log: true });
  const hosts = new HostRegistry(context.secrets);
  context.subscriptions.push(log, hosts);
  return { context, log, hosts };
}

/** The per-call timeout from settings, in milliseconds. */
export function requestTimeoutMs(): number {
  return 1000 * vscode.workspace.getConfiguration('vdvs').get<number>('requestTimeoutSeconds', 10);
}
