import * as vscode from 'vscode';
import { Services } from '../services';
import { EmptyTree } from './emptyTree';

/** Creates the three views of the `vdvs` container. */
export function registerViews(services: Services): void {
  for (const id of ['vdvs.esxiHosts', 'vdvs.dockerHosts', 'vdvs.volumes']) {
    services.context.subscriptions.push(vscode.window.createTreeView(id, { treeDataProvider: new EmptyTree(), showCollapseAll: true }));
  }
}
