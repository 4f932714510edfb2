import * as vscode from 'vscode';
import { HostKind } from '../core/config';
import { COMMAND_IDS } from './commands/registerCommands';
import { HostSecret } from './hosts';
import { Services } from './services';
import { dockerHostsTree } from './trees/dockerHostsView';
import { esxiHostsTree, esxiHostsTreeView } from './trees/esxiHostsView';
import { volumesTree } from './trees/volumesView';

/**
 * What activate() returns while VS Code runs the extension's own tests (ExtensionMode.Test): the data
 * providers behind the views, so in-editor tests walk the real trees, and read access to this
 * extension's SecretStorage, so they can check where a password went. Never handed out otherwise:
 * other extensions must not reach the secrets.
 */
export interface TestApi {
  readonly esxiHostsTree: vscode.TreeDataProvider<unknown>;
  readonly dockerHostsTree: vscode.TreeDataProvider<unknown>;
  /** The Volumes view's provider (its nodes are what the volume commands take). */
  readonly volumesTree: vscode.TreeDataProvider<unknown>;
  /** What the ESXi Hosts view has selected, e.g. after "Reveal VMDK". */
  esxiHostsSelection(): readonly unknown[];
  getSecret(kind: HostKind, id: string, name: string): Thenable<string | undefined>;
  /** What the Remove Host commands do after their confirmation: the entry and all its secrets. */
  removeHost(kind: HostKind, id: string): Promise<void>;
  /** The ids of the commands that have a handler (the activation shell registers package.json's). */
  readonly commandIds: readonly string[];
}

export function testApi(services: Services): TestApi | undefined {
  if (services.context.extensionMode !== vscode.ExtensionMode.Test) return undefined;
  return {
    esxiHostsTree: esxiHostsTree(services),
    dockerHostsTree: dockerHostsTree(services),
    volumesTree: volumesTree(services),
    esxiHostsSelection: () => esxiHostsTreeView(services)?.selection ?? [],
    getSecret: (kind, id, name) => services.hosts.getSecret(kind, id, name as HostSecret<typeof kind>),
    removeHost: (kind, id) => services.hosts.remove(kind, id),
    commandIds: COMMAND_IDS,
  };
}
