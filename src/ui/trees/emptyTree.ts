import * as vscode from 'vscode';

/** A view with no nodes yet, so its welcome content shows until its feature lands. */
export class EmptyTree implements vscode.TreeDataProvider<vscode.TreeItem> {
  getTreeItem(item: vscode.TreeItem): vscode.TreeItem {
    return item;
  }
  getChildren(): vscode.TreeItem[] {
    return [];
  }
}
