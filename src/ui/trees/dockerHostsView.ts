import * as vscode from 'vscode';
import { Services } from '../services';
import { EmptyTree } from './emptyTree';

/** The vdvs.dockerHosts view. */
export function createDockerHostsView(_services: Services): vscode.TreeView<vscode.TreeItem> {
  return vscode.window.createTreeView('vdvs.dockerHosts', { treeDataProvider: new EmptyTree(), showCollapseAll: true });
}
