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

/**
 * One instance of what `create` makes per extension instance, made on first use and disposed with
 * the extension (for caches and trees that views and commands share).
 */
export function perExtension<T extends vscode.Disposable>(create: (services: Services) => T): (services: Services) => T {
  const instances = new WeakMap<Services, T>();
  return (services) => {
    let instance = instances.get(services);
    if (!instance) {
      instance = create(services);
      instances.set(services, instance);
      services.context.subscriptions.push(instance);
    }
    return instance;
  };
}
