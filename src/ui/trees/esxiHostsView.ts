import * as vscode from 'vscode';
import { Services } from '../services';
import { EmptyTree } from './emptyTree';

/** The vdvs.esxiHosts view. */
export function createEsxiHostsView(_services: Services): vscode.TreeView<vscode.TreeItem> {
  return vscode.window.createTreeView('vdvs.esxiHosts', { treeDataProvider: new EmptyTree(), showCollapseAll: true });
}
