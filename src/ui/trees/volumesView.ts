import * as vscode from 'vscode';
import { Services } from '../services';
import { EmptyTree } from './emptyTree';

/** The vdvs.volumes view. */
export function createVolumesView(_services: Services): vscode.TreeView<vscode.TreeItem> {
  return vscode.window.createTreeView('vdvs.volumes', { treeDataProvider: new EmptyTree(), showCollapseAll: true });
}
